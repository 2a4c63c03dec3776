import { Module } from '@nestjs/common';
import { JobListener } from './job-listener.js';
import { JobQueue } from './job-queue.js';
import { JobRegistry } from './job-registry.js';
import { JobSignals } from './job-signals.js';
import { QueueMetrics } from './queue-metrics.js';
import { QueueStatsController } from './queue-stats.controller.js';

/**
 * The generic job queue: the `job` table's statements (JobQueue), the kinds this process can
 * run (JobRegistry), the wake-ups (in-process signals, LISTEN/NOTIFY), and a company's view of
 * it (GET /api/queue/stats).
 */
@Module({
  controllers: [QueueStatsController],
  providers: [JobQueue, JobRegistry, JobSignals, JobListener, QueueMetrics],
  exports: [JobQueue, JobRegistry, JobSignals, JobListener],
})
export class QueueModule {}
