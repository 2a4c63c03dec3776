import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module.js';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { strictValidationPipe } from './common/validation.js';
import { CompaniesModule } from './companies/companies.module.js';
import { appConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.schema.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { DirectoryModule } from './directory/directory.module.js';
import { EmployeesModule } from './employees/employees.module.js';
import { EventsModule } from './events/events.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { HealthModule } from './health/health.module.js';
import { createRootLogger, type RootLogger } from './logging/logger.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { SchedulerModule } from './scheduler/scheduler.module.js';
import { ScimModule } from './scim/scim.module.js';
import { SyncJobsModule } from './sync-jobs/sync-jobs.module.js';
import { SyncModule } from './sync/sync.module.js';
import { UiModule } from './ui/ui.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  /** The configuration is validated and the database is running before this is called. */
  static forRoot(
    config: AppConfig,
    databaseUrl: string,
    /** The app's root pino logger (default: a silent one, e.g. for the CLI). */
    log: RootLogger = createRootLogger({ level: 'silent', pretty: false }),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        appConfigModule(config),
        LoggingModule.forRoot(log),
        MetricsModule,
        // Ten for the API, the queue and webhooks, and one more per sync slot: a sync writes on
        // two connections (SyncService).
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, 10 + config.syncConcurrency)),
        AuthModule,
        CompaniesModule,
        DirectoryModule,
        ScimModule,
        EmployeesModule,
        GroupsModule,
        EventsModule,
        SyncModule,
        SyncJobsModule,
        WebhooksModule,
        ScheduleModule.forRoot(),
        SchedulerModule,
        HealthModule,
        UiModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useFactory: strictValidationPipe },
      ],
    };
  }
}
