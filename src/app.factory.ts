import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { answerClientErrors } from './common/client-errors.js';
import { inputEdge } from './common/input/input-edge.js';
import type { AppConfig } from './config/config.schema.js';
import {
  createRootLogger,
  PinoLoggerService,
  rootLoggerOptionsFor,
  type RootLogger,
} from './logging/logger.js';
import { requestLogging } from './logging/request-logging.middleware.js';
import { httpMetrics } from './metrics/http-metrics.middleware.js';
import { MetricsService } from './metrics/metrics.service.js';
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
  // Every request passes these first, in this order, before any route: its id and log line,
  // its timer, then the input edge (URL, Content-Type, JSON body, parsed input). Plain Express
  // middleware: a Nest one is mounted on a path pattern, whose decoding fails on a bad escape
  // before the middleware runs.
  app.use(requestLogging(log), httpMetrics(app.get(MetricsService)), ...inputEdge);
  setupOpenApi(app);
  return app;
}
