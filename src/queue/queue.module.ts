import { Module } from '@nestjs/common';
import { JobListener } from './job-listener.js';
import { JobQueue } from './job-queue.js';
import { JobRegistry } from './job-registry.js';
import { JobSignals } from './job-signals.js';
import { QueueMetrics } from './queue-metrics.js';

/**
 * The generic job queue: the `job` table's statements (JobQueue), the kinds this process can
 * run (JobRegistry), and the wake-ups (in-process signals, LISTEN/NOTIFY).
 */
@Module({
  providers: [JobQueue, JobRegistry, JobSignals, JobListener, QueueMetrics],
  exports: [JobQueue, JobRegistry, JobSignals, JobListener],
})
export class QueueModule {}
