import type {
  INestApplication,
  INestApplicationContext,
  LogLevel as NestLogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { answerClientErrors } from './common/client-errors.js';
import type { AppConfig, LogLevel } from './config/config.schema.js';
import {
  createRootLogger,
  PinoLoggerService,
  rootLoggerOptionsFor,
  type RootLogger,
} from './logging/logger.js';
import { setupOpenApi } from './openapi/openapi.js';

export interface AppLogOptions {
  /** false: no logs at all (the tests' default), unless `log` is given. */
  logger?: false;
  /** The root pino logger to write to (default: one from LOG_LEVEL and NODE_ENV). */
  log?: RootLogger;
}

/** The root pino logger, and what Nest gets as its logger. */
function appLogging(config: AppConfig, options: AppLogOptions) {
  const silent = options.logger === false && !options.log;
  const log =
    options.log ??
    createRootLogger(silent ? { level: 'silent', pretty: false } : rootLoggerOptionsFor(config));
  return { log, logger: silent ? (false as const) : new PinoLoggerService(log) };
}

const LEVELS: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** LOG_LEVEL=warn shows fatal, error and warn; and so on down the list. */
export function logLevels(level: LogLevel): NestLogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/** A worker process: the whole application without HTTP (ROLE=worker). */
export function createWorker(
  config: AppConfig,
  databaseUrl: string,
  options: AppLogOptions = {},
): Promise<INestApplicationContext> {
  const { log, logger } = appLogging(config, options);
  return NestFactory.createApplicationContext(AppModule.forRoot(config, databaseUrl, log), {
    logger,
  });
}

/** The HTTP application, wired the same way for `npm start` and for the e2e tests. */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: AppLogOptions = {},
): Promise<INestApplication> {
  const { log, logger } = appLogging(config, options);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, databaseUrl, log),
    { logger, bodyParser: false },
  );
  app.disable('x-powered-by');
  answerClientErrors(app.getHttpServer());
  // SCIM clients send application/scim+json (RFC 7644 §3.1).
  app.useBodyParser('json', { limit: '1mb', type: ['application/json', 'application/scim+json'] });
  setupOpenApi(app);
  return app;
}
