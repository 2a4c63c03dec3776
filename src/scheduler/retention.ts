import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { ifLockAvailable } from '../database/advisory-lock.js';
import { EventLog } from '../events/event-log.js';
import { JobQueue } from '../queue/job-queue.js';
import { TriggerRateLimit } from '../sync-jobs/trigger-rate-limit.js';

/** Names the advisory lock of the once-per-round housekeeping (any fixed number). */
export const HOUSEKEEPING_LOCK = 7_346_213_002;

/**
 * Housekeeping on one instance at a time (whoever wins the advisory lock this round; the
 * others skip): finished jobs older than JOB_RETENTION_DAYS, events older than
 * EVENT_RETENTION_DAYS, and old rate-limit windows.
 */
@Injectable()
export class Retention {
  private readonly logger = new Logger(Retention.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly rateLimit: TriggerRateLimit,
    private readonly events: EventLog,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async run(): Promise<void> {
    await ifLockAvailable(this.dataSource, HOUSEKEEPING_LOCK, async () => {
      const days = this.config.get('jobRetentionDays', { infer: true });
      const deleted = await this.queue.deleteFinishedOlderThan(days);
      if (deleted) this.logger.log(`retention: deleted ${deleted} job(s) older than ${days} days`);
      const eventDays = this.config.get('eventRetentionDays', { infer: true });
      const events = await this.events.deleteOlderThan(eventDays);
      if (events) {
        this.logger.log(`retention: deleted ${events} event(s) older than ${eventDays} days`);
      }
      await this.rateLimit.prune();
    });
  }
}
