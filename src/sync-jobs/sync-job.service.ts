import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '../database/sql.js';
import type { JobStatus, JobTrigger } from '../queue/job.js';
import { JobQueue, type EnqueueResult as QueueEnqueueResult } from '../queue/job-queue.js';
import { SYNC_KIND, type SyncJob, type SyncJobPayload, type SyncStats } from './sync-job.types.js';

export type EnqueueResult = QueueEnqueueResult<SyncJobPayload, SyncStats>;

export interface ConnectionRef {
  id: string;
  companyId: string;
  maxAttempts: number;
}

/**
 * The `sync` kind seen from the API: one job per run of a connection, coalesced per
 * connection (its dedupe key), listed, retried and cancelled per company. The queue does the
 * rest; the sync handler (src/sync/) runs them.
 */
@Injectable()
export class SyncJobService {
  constructor(
    private readonly queue: JobQueue,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * A manual (or retry) trigger: a waiting job is returned as it is (`deduplicated`, and asked
   * to skip the guard too if this trigger does); if only a running one exists, a waiting
   * follow-up is added, which starts after it. A dry run and a real run never stand in for
   * each other: one waiting job per connection, so the other kind's trigger is refused (409)
   * until the waiting one has started.
   */
  async enqueue(
    connection: ConnectionRef,
    trigger: Exclude<JobTrigger, 'schedule'>,
    options: SyncJobPayload = {},
  ): Promise<EnqueueResult> {
    const payload: SyncJobPayload = {
      ...(options.allowMassDeprovision === true && { allowMassDeprovision: true }),
      ...(options.dryRun === true && { dryRun: true }),
    };
    const result = await this.queue.enqueue<SyncJobPayload, SyncStats>(
      {
        kind: SYNC_KIND,
        companyId: connection.companyId,
        dedupeKey: connection.id,
        payload,
        trigger,
        maxAttempts: connection.maxAttempts,
      },
      // A dry run ignores the flag (its preview names the guard's verdict either way).
      { mergeIntoWaiting: payload.allowMassDeprovision ? { allowMassDeprovision: true } : {} },
    );
    const waitingDryRun = result.job.payload.dryRun === true;
    if (result.deduplicated && waitingDryRun !== (payload.dryRun === true)) {
      throw new ConflictException(
        `a ${waitingDryRun ? 'dry run' : 'real sync'} of this connection is already waiting ` +
          `(job ${result.job.id}); trigger again once it has started`,
      );
    }
    return result;
  }

  /**
   * A connection's periodic syncs, every `intervalMinutes` after the last one finished (null:
   * none), set in the transaction that creates or changes the connection.
   */
  async schedule(
    tx: EntityManager,
    connection: ConnectionRef,
    intervalMinutes: number | null,
  ): Promise<void> {
    const key = { kind: SYNC_KIND, dedupeKey: connection.id, companyId: connection.companyId };
    if (intervalMinutes === null) return this.queue.unschedule(tx, key);
    await this.queue.schedule(tx, {
      ...key,
      payload: {},
      maxAttempts: connection.maxAttempts,
      everyMs: intervalMinutes * 60_000,
    });
  }

  /** When each connection's next periodic sync is due (connections with an interval only). */
  nextSyncs(companyId: string, connectionIds: string[]): Promise<Map<string, Date>> {
    return this.queue.nextRuns(SYNC_KIND, companyId, connectionIds);
  }

  /** The scheduler's tick: connections whose interval has elapsed get a sync. */
  async enqueueDueSchedules(): Promise<number> {
    return this.queue.enqueueSchedules(SYNC_KIND);
  }

  async get(companyId: string, id: string): Promise<SyncJob> {
    const job = await this.queue.get<SyncJobPayload, SyncStats>(SYNC_KIND, companyId, id);
    if (!job) throw new NotFoundException('sync job not found');
    return job;
  }

  /** Newest first, `limit` at a time; `cursor` is the id of the previous page's last job. */
  async list(
    companyId: string,
    filter: { connectionId?: string; status?: JobStatus; limit: number; cursor?: string },
  ): Promise<SyncJob[]> {
    const { connectionId, ...rest } = filter;
    return this.queue.list<SyncJobPayload, SyncStats>(SYNC_KIND, companyId, {
      ...rest,
      dedupeKey: connectionId,
    });
  }

  /**
   * A FAILED or CANCELLED job is retried as a new job (trigger `retry`), with its permission
   * to skip the guard and its connection's attempts as they are now.
   */
  async retry(companyId: string, id: string): Promise<EnqueueResult> {
    const job = await this.get(companyId, id);
    if (job.status !== 'FAILED' && job.status !== 'CANCELLED') {
      throw new ConflictException(
        `only FAILED or CANCELLED jobs can be retried (this one is ${job.status})`,
      );
    }
    // A deleted connection detached its jobs (no dedupe key).
    const [connection] = job.dedupeKey
      ? await sqlRows<{ max_attempts: number }>(
          this.dataSource,
          `SELECT max_attempts FROM directory_connection WHERE id = $1 AND company_id = $2`,
          [job.dedupeKey, companyId],
        )
      : [];
    if (!connection) throw new ConflictException('the connection of this job was deleted');
    return this.enqueue(
      { id: job.dedupeKey!, companyId, maxAttempts: connection.max_attempts },
      'retry',
      job.payload,
    );
  }

  /**
   * PENDING -> CANCELLED at once; RUNNING -> cancellation requested (the worker stops at its
   * next heartbeat and marks it CANCELLED). A finished job cannot be cancelled (409).
   */
  async cancel(companyId: string, id: string): Promise<SyncJob> {
    const job = await this.queue.cancel<SyncJobPayload, SyncStats>(SYNC_KIND, companyId, id);
    if (job) return job;
    const existing = await this.get(companyId, id);
    throw new ConflictException(`the job is already ${existing.status}`);
  }

  /**
   * In the transaction that deletes a connection: its schedule goes, its waiting jobs are
   * cancelled, its running one asked to stop, and all of them stay listed without a connection.
   */
  async cancelForConnection(
    tx: EntityManager,
    connectionId: string,
    companyId: string,
  ): Promise<void> {
    const key = { kind: SYNC_KIND, dedupeKey: connectionId, companyId };
    await this.queue.unschedule(tx, key);
    await this.queue.detach(tx, key, 'the connection was deleted');
  }
}
