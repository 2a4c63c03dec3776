import { Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { backoffMs } from '../queue/backoff.js';
import {
  JobCancelled,
  type FailureVerdict,
  type JobHandler,
  type JobRun,
  type KindSettings,
} from '../queue/job-handler.js';
import { JobRegistry } from '../queue/job-registry.js';
import {
  SYNC_KIND,
  type SyncJob,
  type SyncJobPayload,
  type SyncStats,
} from '../sync-jobs/sync-job.types.js';
import { failureVerdict } from './job-failure.js';
import { SyncOutcome, type ConnectionOutcome } from './sync-outcome.js';
import { SyncService } from './sync.service.js';

/**
 * The `sync` kind: a job syncs the connection named by its dedupe key. SYNC_CONCURRENCY runs
 * at once per process, each holding a SYNC_LEASE_MS lease; failures retry after
 * SYNC_BACKOFF_BASE_MS × 2^(attempts−1) plus jitter, except auth and config errors and the
 * deprovision guard, which are final.
 */
@Injectable()
export class SyncJobHandler implements JobHandler<SyncJobPayload, SyncStats>, OnModuleInit {
  readonly kind = SYNC_KIND;
  readonly settings: KindSettings;

  constructor(
    private readonly registry: JobRegistry,
    private readonly directory: DirectoryService,
    private readonly sync: SyncService,
    private readonly outcome: SyncOutcome,
    private readonly metrics: MetricsService,
    config: ConfigService<AppConfig, true>,
  ) {
    const base = config.get('syncBackoffBaseMs', { infer: true });
    this.settings = {
      concurrency: config.get('syncConcurrency', { infer: true }),
      leaseMs: config.get('syncLeaseMs', { infer: true }),
      backoffMs: (attempts) => backoffMs(attempts, base),
    };
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  logContext(job: SyncJob): Record<string, string | undefined> {
    return { connectionId: job.dedupeKey ?? undefined };
  }

  async run(job: SyncJob, run: JobRun): Promise<SyncStats> {
    // A deleted connection detaches its jobs (no dedupe key) in the same transaction.
    if (job.dedupeKey === null) throw new JobCancelled('the connection was deleted');
    const target = await this.directory
      .loadForSync(job.companyId, job.dedupeKey)
      .catch((error: unknown) => {
        throw error instanceof NotFoundException
          ? new JobCancelled('the connection was deleted')
          : error;
      });
    run.label(target.type);
    return this.sync.run(target, run.signal, {
      allowMassDeprovision: job.payload.allowMassDeprovision === true,
      dryRun: job.payload.dryRun === true,
    });
  }

  verdict(error: unknown): FailureVerdict {
    return failureVerdict(error);
  }

  /** Successes and final failures, on their connections, in the jobs' transaction. */
  async settled(tx: EntityManager, jobs: SyncJob[]): Promise<void> {
    const outcomes: ConnectionOutcome[] = [];
    for (const job of jobs) {
      // A dry run synced nothing: the connection's last sync stays the last real one.
      if (job.dedupeKey === null || job.payload.dryRun === true) continue;
      const ids = { connectionId: job.dedupeKey, companyId: job.companyId, jobId: job.id };
      if (job.status === 'SUCCEEDED' && job.result) outcomes.push({ ...ids, stats: job.result });
      if (job.status === 'FAILED') outcomes.push({ ...ids, error: job.lastError ?? 'failed' });
    }
    const written = await this.outcome.record(tx, outcomes);
    const types = new Map(written.map((c) => [c.id, c.type]));
    for (const job of jobs) {
      const type = types.get(job.dedupeKey ?? '');
      if (job.status === 'SUCCEEDED' && job.result && type && job.payload.dryRun !== true) {
        this.metrics.recordStats(type, job.result);
      }
    }
  }
}
