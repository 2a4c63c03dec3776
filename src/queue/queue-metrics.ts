import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import { JobQueue, type QueueStats } from './job-queue.js';

/** The queue gauges are read from the database at most this often. */
export const QUEUE_STATS_TTL_MS = 5000;

/**
 * The queue's gauges in the app's registry, computed at scrape time from one query (the
 * queue's `stats` statement, over the partial indexes of open jobs) shared by the gauges of
 * one scrape and cached for a few seconds. A failing query shows as a failed scrape.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  private cached?: { at: number; value: Promise<QueueStats> };

  constructor(
    private readonly metrics: MetricsService,
    private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    const stats = () => this.stats();
    const registers = [this.metrics.registry];
    new Gauge({
      name: 'directory_sync_jobs',
      help: 'Jobs waiting or running now (whole queue, from the database), by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        const now = await stats();
        this.set({ status: 'PENDING' }, now.pending);
        this.set({ status: 'RUNNING' }, now.running);
      },
    });
    new Gauge({
      name: 'directory_sync_queue_depth',
      help: 'PENDING jobs that are due (run_after has passed) and wait for a worker.',
      registers,
      async collect() {
        this.set((await stats()).due);
      },
    });
    new Gauge({
      name: 'directory_sync_queue_oldest_due_age_seconds',
      help: 'How long the oldest due PENDING job has been due (0 when none).',
      registers,
      async collect() {
        this.set((await stats()).oldestDueAgeSeconds);
      },
    });
  }

  private stats(): Promise<QueueStats> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < QUEUE_STATS_TTL_MS) return this.cached.value;
    const value = this.queue.stats();
    this.cached = { at: now, value };
    value.catch(() => (this.cached = undefined));
    return value;
  }
}
