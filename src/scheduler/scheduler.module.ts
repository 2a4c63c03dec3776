import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module.js';
import { SyncJobsModule } from '../sync-jobs/sync-jobs.module.js';
import { SyncModule } from '../sync/sync.module.js';
import { JobListener } from './job-listener.js';
import { SyncWorker } from './sync-worker.service.js';

@Module({
  imports: [SyncModule, SyncJobsModule, DirectoryModule],
  providers: [SyncWorker, JobListener],
  exports: [SyncWorker],
})
export class SchedulerModule {}
