import { Module } from '@nestjs/common';
import { SyncJobsModule } from '../sync-jobs/sync-jobs.module.js';
import { SyncModule } from '../sync/sync.module.js';
import { JobListener } from './job-listener.js';
import { SyncWorker } from './sync-worker.service.js';

@Module({
  imports: [SyncModule, SyncJobsModule],
  providers: [SyncWorker, JobListener],
  exports: [SyncWorker],
})
export class SchedulerModule {}
