import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module.js';
import { SyncJobService } from './sync-job.service.js';
import { SyncJobsController } from './sync-jobs.controller.js';
import { TriggerRateLimit } from './trigger-rate-limit.js';

@Module({
  imports: [QueueModule],
  controllers: [SyncJobsController],
  providers: [SyncJobService, TriggerRateLimit],
  exports: [SyncJobService, TriggerRateLimit],
})
export class SyncJobsModule {}
