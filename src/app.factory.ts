import type {
  INestApplication,
  INestApplicationContext,
  LogLevel as NestLogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig, LogLevel } from './config/config.schema.js';

const LEVELS: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** LOG_LEVEL=warn shows fatal, error and warn; and so on down the list. */
export function logLevels(level: LogLevel): NestLogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/** A worker process: the whole application without HTTP (ROLE=worker). */
export function createWorker(
  config: AppConfig,
  databaseUrl: string,
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.forRoot(config, databaseUrl), {
    logger: logLevels(config.logLevel),
  });
}

/** The HTTP application, wired the same way for `npm start` and for the e2e tests. */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: { logger?: false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, databaseUrl),
    { logger: options.logger ?? logLevels(config.logLevel), bodyParser: false },
  );
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: '1mb' });
  return app;
}
