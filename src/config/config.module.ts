import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { AppConfig } from './config.schema.js';

/** Typed accessor: `config.get('port', { infer: true })` is a number. */
export type AppConfigService = ConfigService<AppConfig, true>;

/**
 * The configuration is parsed and validated before Nest starts (so a bad value is one line
 * and exit code 1, not a stack trace); this module only serves the validated object.
 */
export function appConfigModule(config: AppConfig): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    skipProcessEnv: true,
    load: [() => ({ ...config })],
  });
}
