import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { sqlRows } from '../database/sql.js';
import type { ConnectionType } from '../directory/connection-types.js';
import { syncedCount, type SyncStats } from '../sync/sync-stats.js';
import { backoffMs } from './backoff.js';
import { JobSignals } from './job-signals.js';
import type { SyncJob, SyncJobStatus, SyncJobTrigger } from './sync-job.entity.js';

export interface EnqueueResult {
  job: SyncJob;
  /** True when an already waiting job was returned instead of a new one. */
  deduplicated: boolean;
}

export interface ConnectionRef {
  id: string;
  companyId: string;
  maxAttempts: number;
}

/** How a failed run should end: retried later, or failed for good. */
export interface FailureVerdict {
  message: string;
  retryable: boolean;
  /** The provider asked us not to return before this. */
  retryAfterMs?: number;
}

/** A claimed job with what its run needs of its connection (null: the connection is gone). */
export interface ClaimedJob extends SyncJob {
  connection: {
    id: string;
    companyId: string;
    type: ConnectionType;
    configEncrypted: Buffer;
    deprovisionThresholdPercent: number;
  } | null;
}

interface ClaimedConnectionRow {
  connection_type: ConnectionType | null;
  config_encrypted: Buffer | null;
  deprovision_threshold_percent: number | null;
}

export interface HeartbeatResult {
  /** False: the job was reaped or finished by someone else; stop working on it. */
  ours: boolean;
  cancelRequested: boolean;
}

const JOB_COLUMNS = `id, connection_id, company_id, status, trigger, attempts, max_attempts,
  last_error, run_after, locked_by, locked_until, cancel_requested, allow_mass_deprovision,
  stats, started_at, finished_at, created_at, updated_at`;

/**
 * The queue. Every transition is one SQL statement guarded by the state it expects, so any
 * number of API instances and workers can share it: enqueue coalesces through the partial
 * unique index, claim uses FOR UPDATE SKIP LOCKED, and a worker can only finish a job it still
 * holds the lease of.
 */
@Injectable()
export class SyncJobService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly signals: JobSignals,
  ) {}

  /**
   * A manual (or retry) trigger: a waiting job is returned as it is (`deduplicated`); if only
   * a running one exists, a waiting follow-up is added, which starts after it.
   */
  async enqueue(
    connection: ConnectionRef,
    trigger: Exclude<SyncJobTrigger, 'schedule'>,
    options: { allowMassDeprovision?: boolean } = {},
  ): Promise<EnqueueResult> {
    const allow = options.allowMassDeprovision === true;
    // Loops only if the waiting job it collided with was claimed in between.
    for (;;) {
      const [created] = await this.rows(
        `INSERT INTO sync_job (connection_id, company_id, status, trigger, max_attempts,
                               allow_mass_deprovision)
         VALUES ($1, $2, 'PENDING', $3, $4, $5)
         ON CONFLICT (connection_id) WHERE status = 'PENDING' DO NOTHING
         RETURNING ${JOB_COLUMNS}`,
        [connection.id, connection.companyId, trigger, connection.maxAttempts, allow],
      );
      if (created) {
        this.signals.enqueued();
        return { job: created, deduplicated: false };
      }
      const [waiting] = await this.rows(
        `UPDATE sync_job SET allow_mass_deprovision = allow_mass_deprovision OR $2,
                             updated_at = CASE WHEN $2 THEN now() ELSE updated_at END
          WHERE connection_id = $1 AND status = 'PENDING'
          RETURNING ${JOB_COLUMNS}`,
        [connection.id, allow],
      );
      if (waiting) return { job: waiting, deduplicated: true };
    }
  }

  /**
   * Claims up to `limit` due jobs, oldest first, never for a connection that already has a
   * running job. One statement; safe across processes and machines.
   */
  async claim(workerId: string, limit: number): Promise<ClaimedJob[]> {
    try {
      const rows = await sqlRows<JobRow & ClaimedConnectionRow>(
        this.dataSource,
        `WITH due AS (
           SELECT j.id, j.connection_id, j.company_id FROM sync_job j
            WHERE j.status = 'PENDING' AND j.run_after <= now()
              AND NOT EXISTS (SELECT 1 FROM sync_job r
                               WHERE r.connection_id = j.connection_id AND r.status = 'RUNNING')
            ORDER BY j.run_after, j.created_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
         UPDATE sync_job j
            SET status = 'RUNNING', attempts = j.attempts + 1, locked_by = $1,
                locked_until = now() + $3 * interval '1 millisecond', started_at = now(),
                updated_at = now()
           FROM due LEFT JOIN directory_connection c ON c.id = due.connection_id
                                                    AND c.company_id = due.company_id
          WHERE j.id = due.id
         RETURNING ${prefixed('j')},
           -- what the run needs of its connection, read with the job's own company
           c.type AS connection_type, c.config_encrypted,
           c.deprovision_threshold_percent`,
        [workerId, limit, this.leaseMs],
      );
      return rows.map((row) => ({
        ...toJob(row),
        connection:
          row.connection_type === null
            ? null
            : {
                id: row.connection_id!,
                companyId: row.company_id,
                type: row.connection_type,
                configEncrypted: row.config_encrypted!,
                deprovisionThresholdPercent: row.deprovision_threshold_percent!,
              },
      }));
    } catch (error) {
      // Two claimers raced for jobs of one connection (a follow-up was queued while its
      // predecessor was being claimed): the unique index refused the second. Nothing was
      // claimed by this statement; the next tick tries again.
      if ((error as { code?: string }).code === '23505') return [];
      throw error;
    }
  }

  /** Extends the lease of a job this worker still holds; reports a cancellation request. */
  async heartbeat(jobId: string, workerId: string): Promise<HeartbeatResult> {
    const [row] = await sqlRows<{ cancel_requested: boolean }>(
      this.dataSource,
      `UPDATE sync_job SET locked_until = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'
        RETURNING cancel_requested`,
      [jobId, workerId, this.leaseMs],
    );
    return { ours: row !== undefined, cancelRequested: row?.cancel_requested ?? false };
  }

  /**
   * Success, recorded on the job and on its connection (ACTIVE, last sync) in one
   * statement. False when the job was no longer ours (reaped): nothing is changed.
   */
  async complete(jobId: string, workerId: string, stats: SyncStats): Promise<boolean> {
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `WITH done AS (
         UPDATE sync_job
            SET status = 'SUCCEEDED', last_error = NULL, stats = $3::jsonb, locked_by = NULL,
                locked_until = NULL, finished_at = now(), updated_at = now()
          WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'
          RETURNING id, connection_id),
       connection AS (
         UPDATE directory_connection c
            SET status = 'ACTIVE', last_sync_at = now(), last_sync_count = $4,
                last_error = NULL, updated_at = now()
           FROM done WHERE c.id = done.connection_id)
       SELECT id FROM done`,
      [jobId, workerId, JSON.stringify(stats), syncedCount(stats)],
    );
    return rows.length > 0;
  }

  /**
   * Back to PENDING without counting the attempt: this worker is shutting down, the job did
   * nothing wrong. Another worker (or this one, restarted) picks it up at once.
   */
  async release(jobId: string, workerId: string): Promise<boolean> {
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `UPDATE sync_job
          SET status = 'PENDING', attempts = greatest(attempts - 1, 0), locked_by = NULL,
              locked_until = NULL, run_after = now(), updated_at = now()
        WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'
          AND NOT EXISTS (SELECT 1 FROM sync_job p WHERE p.status = 'PENDING'
                            AND p.connection_id = sync_job.connection_id)
        RETURNING id`,
      [jobId, workerId],
    );
    if (rows.length) return true;
    // A follow-up already waits for this connection: it will do this job's work.
    return this.finishIfOurs(jobId, workerId, 'CANCELLED', 'superseded by a newer job at shutdown');
  }

  async cancelled(jobId: string, workerId: string, reason: string): Promise<boolean> {
    return this.finishIfOurs(jobId, workerId, 'CANCELLED', reason);
  }

  /**
   * A failed attempt: back to PENDING after the backoff when it may be retried and attempts
   * remain (a provider's rate-limit reset is waited out at least); otherwise FAILED.
   */
  async fail(job: SyncJob, workerId: string, verdict: FailureVerdict): Promise<SyncJobStatus> {
    const retry = verdict.retryable && job.attempts < job.maxAttempts;
    const delayMs = retry
      ? Math.max(backoffMs(job.attempts, this.backoffBaseMs), verdict.retryAfterMs ?? 0)
      : 0;
    const message = verdict.message.slice(0, 2000);
    const [row] = await this.rows(
      `UPDATE sync_job
          SET status = $3, last_error = $4, locked_by = NULL, locked_until = NULL,
              run_after = CASE WHEN $3 = 'PENDING' THEN now() + $5 * interval '1 millisecond'
                               ELSE run_after END,
              finished_at = CASE WHEN $3 = 'FAILED' THEN now() END,
              updated_at = now()
        WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'
          AND ($3 = 'FAILED' OR NOT EXISTS (SELECT 1 FROM sync_job p WHERE p.status = 'PENDING'
                                              AND p.connection_id = sync_job.connection_id))
        RETURNING ${JOB_COLUMNS}`,
      [job.id, workerId, retry ? 'PENDING' : 'FAILED', message, delayMs],
    );
    if (row) return row.status;
    // A follow-up is already waiting for this connection: it will do the retry's work.
    if (retry) {
      await this.finishIfOurs(job.id, workerId, 'FAILED', `${message} (a newer job will retry)`);
      return 'FAILED';
    }
    return job.status;
  }

  /**
   * RUNNING jobs whose lease ran out (their worker died or lost the database) go back to
   * PENDING, counted as a failed attempt, or to FAILED when none remain (or a follow-up is
   * already waiting), or CANCELLED if that was asked. Nothing stays RUNNING forever.
   */
  async reapExpired(): Promise<number> {
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `WITH expired AS (
         SELECT j.id,
                CASE WHEN j.cancel_requested THEN 'CANCELLED'
                     WHEN j.attempts >= j.max_attempts THEN 'FAILED'
                     WHEN EXISTS (SELECT 1 FROM sync_job p WHERE p.status = 'PENDING'
                                    AND p.connection_id = j.connection_id) THEN 'FAILED'
                     ELSE 'PENDING' END AS next
           FROM sync_job j
          WHERE j.status = 'RUNNING' AND j.locked_until < now()
          FOR UPDATE SKIP LOCKED)
       UPDATE sync_job j
          SET status = e.next, locked_by = NULL, locked_until = NULL,
              last_error = CASE WHEN e.next = 'CANCELLED' THEN 'cancelled'
                                WHEN e.next = 'FAILED' AND j.attempts < j.max_attempts
                                  THEN 'worker lost (a newer job will retry)'
                                ELSE 'worker lost' END,
              run_after = now(),
              finished_at = CASE WHEN e.next = 'PENDING' THEN NULL ELSE now() END,
              updated_at = now()
         FROM expired e WHERE j.id = e.id
       RETURNING j.id`,
    );
    return rows.length;
  }

  /**
   * The scheduler's enqueue, one statement: every connection with an interval whose last
   * finished job is older than it (or that never ran), and that has no job waiting or
   * running, gets one. A failed connection waits for its next interval like any other.
   */
  async enqueueDueSchedules(): Promise<number> {
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `INSERT INTO sync_job (connection_id, company_id, status, trigger, max_attempts)
       SELECT c.id, c.company_id, 'PENDING', 'schedule', c.max_attempts
         FROM directory_connection c
        WHERE c.sync_interval_minutes IS NOT NULL AND c.type <> 'scim'
          AND NOT EXISTS (SELECT 1 FROM sync_job j WHERE j.connection_id = c.id
                            AND j.status IN ('PENDING', 'RUNNING'))
          AND NOT EXISTS (SELECT 1 FROM sync_job j WHERE j.connection_id = c.id
                            AND j.finished_at > now() - c.sync_interval_minutes * interval '1 minute')
       ON CONFLICT (connection_id) WHERE status = 'PENDING' DO NOTHING
       RETURNING id`,
    );
    if (rows.length) this.signals.enqueued();
    return rows.length;
  }

  /**
   * Retention: deletes finished jobs older than `days`, `batchSize` rows per statement and
   * at most `maxBatches` statements per call, so a large backlog never holds locks for long.
   * A connection's latest finished job is always kept, however old.
   */
  async deleteFinishedOlderThan(days: number, batchSize = 1000, maxBatches = 20): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const rows = await sqlRows<{ id: string }>(
        this.dataSource,
        `DELETE FROM sync_job WHERE id IN (
           SELECT j.id FROM sync_job j
            WHERE j.finished_at < now() - $1 * interval '1 day'
              AND (j.connection_id IS NULL
                   OR EXISTS (SELECT 1 FROM sync_job newer
                               WHERE newer.connection_id = j.connection_id
                                 AND newer.finished_at > j.finished_at))
            LIMIT $2)
         RETURNING id`,
        [days, batchSize],
      );
      deleted += rows.length;
      if (rows.length < batchSize) break;
    }
    return deleted;
  }

  async get(companyId: string, id: string): Promise<SyncJob> {
    const [job] = await this.rows(
      `SELECT ${JOB_COLUMNS} FROM sync_job WHERE id = $1 AND company_id = $2`,
      [id, companyId],
    );
    if (!job) throw new NotFoundException('sync job not found');
    return job;
  }

  /** Newest first, `limit` at a time; `cursor` is the id of the previous page's last job. */
  async list(
    companyId: string,
    filter: { connectionId?: string; status?: SyncJobStatus; limit: number; cursor?: string },
  ): Promise<SyncJob[]> {
    const params: unknown[] = [companyId, filter.limit];
    const where = ['company_id = $1'];
    if (filter.connectionId) where.push(`connection_id = $${params.push(filter.connectionId)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.cursor) {
      // The cursor is the last job shown; comparing with its stored row keeps full precision.
      const id = params.push(filter.cursor);
      where.push(
        `(created_at, id) < (SELECT created_at, id FROM sync_job WHERE id = $${id} AND company_id = $1)`,
      );
    }
    return this.rows(
      `SELECT ${JOB_COLUMNS} FROM sync_job WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
  }

  /** A FAILED or CANCELLED job is retried as a new job (trigger `retry`). */
  async retry(companyId: string, id: string): Promise<EnqueueResult> {
    const job = await this.get(companyId, id);
    if (job.status !== 'FAILED' && job.status !== 'CANCELLED') {
      throw new ConflictException(
        `only FAILED or CANCELLED jobs can be retried (this one is ${job.status})`,
      );
    }
    const [connection] = await sqlRows<{ max_attempts: number }>(
      this.dataSource,
      `SELECT max_attempts FROM directory_connection WHERE id = $1 AND company_id = $2`,
      [job.connectionId, companyId],
    );
    if (!connection) throw new ConflictException('the connection of this job was deleted');
    return this.enqueue(
      { id: job.connectionId!, companyId, maxAttempts: connection.max_attempts },
      'retry',
      { allowMassDeprovision: job.allowMassDeprovision },
    );
  }

  /**
   * PENDING -> CANCELLED at once; RUNNING -> cancellation requested (the worker stops at its
   * next page and marks it CANCELLED). A finished job cannot be cancelled (409).
   */
  async cancel(companyId: string, id: string): Promise<SyncJob> {
    const [job] = await this.rows(
      `UPDATE sync_job
          SET status = CASE WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END,
              finished_at = CASE WHEN status = 'PENDING' THEN now() ELSE finished_at END,
              last_error = CASE WHEN status = 'PENDING' THEN 'cancelled' ELSE last_error END,
              cancel_requested = true, updated_at = now()
        WHERE id = $1 AND company_id = $2 AND status IN ('PENDING', 'RUNNING')
        RETURNING ${JOB_COLUMNS}`,
      [id, companyId],
    );
    if (job) return job;
    const existing = await this.get(companyId, id);
    throw new ConflictException(`the job is already ${existing.status}`);
  }

  /** Before a connection is deleted: its waiting jobs are cancelled, its running one asked to stop. */
  async cancelForConnection(
    manager: EntityManager,
    connectionId: string,
    companyId: string,
  ): Promise<void> {
    await sqlRows(
      manager,
      `UPDATE sync_job
          SET status = CASE WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END,
              finished_at = CASE WHEN status = 'PENDING' THEN now() ELSE finished_at END,
              last_error = 'the connection was deleted', cancel_requested = true,
              updated_at = now()
        WHERE connection_id = $1 AND company_id = $2 AND status IN ('PENDING', 'RUNNING')`,
      [connectionId, companyId],
    );
  }

  private async finishIfOurs(
    jobId: string,
    workerId: string,
    status: 'FAILED' | 'CANCELLED',
    lastError: string,
  ): Promise<boolean> {
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `UPDATE sync_job
          SET status = $3, last_error = $4, locked_by = NULL, locked_until = NULL,
              finished_at = now(), updated_at = now()
        WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'
        RETURNING id`,
      [jobId, workerId, status, lastError],
    );
    return rows.length > 0;
  }

  private async rows(sql: string, params: unknown[] = []): Promise<SyncJob[]> {
    return (await sqlRows<JobRow>(this.dataSource, sql, params)).map(toJob);
  }

  private get leaseMs(): number {
    return this.config.get('syncLeaseMs', { infer: true });
  }

  private get backoffBaseMs(): number {
    return this.config.get('syncBackoffBaseMs', { infer: true });
  }
}

function prefixed(alias: string): string {
  return JOB_COLUMNS.split(',')
    .map((column) => `${alias}.${column.trim()}`)
    .join(', ');
}

interface JobRow {
  id: string;
  connection_id: string | null;
  company_id: string;
  status: SyncJobStatus;
  trigger: SyncJobTrigger;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  run_after: Date;
  locked_by: string | null;
  locked_until: Date | null;
  cancel_requested: boolean;
  allow_mass_deprovision: boolean;
  stats: SyncStats | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toJob(row: JobRow): SyncJob {
  return {
    id: row.id,
    connectionId: row.connection_id,
    companyId: row.company_id,
    status: row.status,
    trigger: row.trigger,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    runAfter: row.run_after,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    cancelRequested: row.cancel_requested,
    allowMassDeprovision: row.allow_mass_deprovision,
    stats: row.stats,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
