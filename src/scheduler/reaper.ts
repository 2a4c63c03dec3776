import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { JobQueue } from '../queue/job-queue.js';

/**
 * Housekeeping: RUNNING jobs whose worker stopped heartbeating go back to PENDING (or end).
 * Every instance reaps each round; the statement skips rows another instance is reaping.
 */
@Injectable()
export class Reaper {
  private readonly logger = new Logger(Reaper.name);

  constructor(
    private readonly queue: JobQueue,
    private readonly metrics: MetricsService,
  ) {}

  async run(): Promise<void> {
    const reaped = await this.queue.reap();
    if (!reaped.length) return;
    this.metrics.jobsReaped.inc(reaped.length);
    this.logger.warn(`reaped ${reaped.length} job(s) whose worker stopped heartbeating`);
  }
}
