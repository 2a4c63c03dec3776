import {
  type DynamicModule,
  Global,
  type MiddlewareConsumer,
  Module,
  type NestModule,
} from '@nestjs/common';
import { ROOT_LOGGER, type RootLogger } from './logger.js';
import { RequestLoggingMiddleware } from './request-logging.middleware.js';

/** The app instance's root pino logger for injection, and the HTTP request log. */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  static forRoot(root: RootLogger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      exports: [ROOT_LOGGER],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLoggingMiddleware).forRoutes('*path');
  }
}
