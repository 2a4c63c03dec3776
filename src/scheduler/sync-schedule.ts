import { Injectable, Logger } from '@nestjs/common';
import { SyncJobService } from '../sync-jobs/sync-job.service.js';

/**
 * Housekeeping: connections whose sync interval has elapsed get a sync job. Every instance
 * runs it each round; the queue's unique index makes sure no connection gets two.
 */
@Injectable()
export class SyncSchedule {
  private readonly logger = new Logger(SyncSchedule.name);

  constructor(private readonly syncJobs: SyncJobService) {}

  async run(): Promise<void> {
    const enqueued = await this.syncJobs.enqueueDueSchedules();
    if (enqueued) this.logger.debug(`enqueued ${enqueued} periodic sync(s)`);
  }
}
