import { Module } from '@nestjs/common';
import { JobSignals } from './job-signals.js';
import { SyncJobService } from './sync-job.service.js';
import { SyncJobsController } from './sync-jobs.controller.js';
import { TriggerRateLimit } from './trigger-rate-limit.js';

@Module({
  controllers: [SyncJobsController],
  providers: [SyncJobService, JobSignals, TriggerRateLimit],
  exports: [SyncJobService, JobSignals, TriggerRateLimit],
})
export class SyncJobsModule {}
