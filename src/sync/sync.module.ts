import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module.js';
import { EventsModule } from '../events/events.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { SyncJobHandler } from './sync-job.handler.js';
import { SyncOutcome } from './sync-outcome.js';
import { SyncService } from './sync.service.js';

/** The sync engine, and the `sync` kind's handler that runs it for the queue. */
@Module({
  imports: [DirectoryModule, QueueModule, EventsModule],
  providers: [SyncService, SyncOutcome, SyncJobHandler],
  exports: [SyncService],
})
export class SyncModule {}
