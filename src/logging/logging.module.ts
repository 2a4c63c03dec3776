import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ROOT_LOGGER, type RootLogger } from './logger.js';

/** The app instance's root pino logger for injection (the request log is in app.factory.ts). */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(root: RootLogger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      exports: [ROOT_LOGGER],
    };
  }
}
