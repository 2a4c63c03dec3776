import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { SyncJobsModule } from '../sync-jobs/sync-jobs.module.js';
import { SyncModule } from '../sync/sync.module.js';
import { QueueWorker } from './queue-worker.service.js';
import { Reaper } from './reaper.js';
import { Retention } from './retention.js';
import { SyncSchedule } from './sync-schedule.js';

/**
 * The interval provider running the queue for every kind, and the housekeeping duties. The
 * handlers' modules are imported so that their kinds are registered wherever a worker runs.
 */
@Module({
  imports: [QueueModule, SyncJobsModule, SyncModule, EventsModule],
  providers: [QueueWorker, Reaper, Retention, SyncSchedule],
  exports: [QueueWorker],
})
export class SchedulerModule {}
