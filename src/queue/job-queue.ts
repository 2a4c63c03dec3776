import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { preparedRows, sqlRows } from '../database/sql.js';
import type { Job, JobStatus, JobTrigger, NewJob } from './job.js';
import { JobRegistry } from './job-registry.js';
import { JobSignals } from './job-signals.js';

/**
 * Every statement of the job queue, in one place. Each transition is one statement guarded by
 * the state it expects (and, for a worker's transitions, by the lock owner), so any number of
 * API instances and workers on any number of machines can share the table.
 */

const COLUMNS = `id, kind, company_id, dedupe_key, concurrency_key, payload, status, trigger,
  attempts, max_attempts, last_error, run_after, locked_by, locked_until, cancel_requested, result,
  started_at, finished_at, created_at, updated_at`;
const J_COLUMNS = COLUMNS.split(',')
  .map((column) => `j.${column.trim()}`)
  .join(', ');

/** A job `j` whose (kind, dedupe_key) already has a waiting follow-up, which will redo its work. */
const HAS_FOLLOW_UP = `(j.dedupe_key IS NOT NULL AND EXISTS (
  SELECT 1 FROM job p WHERE p.kind = j.kind AND p.dedupe_key = j.dedupe_key
                        AND p.status = 'PENDING'))`;

/**
 * Inserts the rows of the CTE `input` (company_id, dedupe_key, concurrency_key, payload,
 * trigger, max_attempts, n), defined last in `ctes`, as PENDING jobs of kind $1 (the CTE
 * `inserted`, which the final `result` reads). Fairness: the jobs of a fairness key (the
 * concurrency key when there is one, e.g. a webhook endpoint, else the company) take
 * consecutive rounds after its last waiting one, and never a round below the oldest one
 * waiting (the frontier), so one key's backlog is interleaved with everyone else's jobs
 * instead of standing in front of them. A (kind, dedupe_key) that already waits is skipped.
 */
const insertJobs = (ctes: string, result: string) => `
WITH ${ctes},
-- MATERIALIZED: read once, before the insert (inlined, they would be read again per row).
fair_keys AS MATERIALIZED (
  SELECT k.company_id, k.concurrency_key,
         CASE WHEN k.concurrency_key IS NULL
              THEN (SELECT coalesce(max(w.fair_round) + 1, 0) FROM job w
                     WHERE w.kind = $1 AND w.company_id = k.company_id AND w.status = 'PENDING')
              ELSE (SELECT coalesce(max(w.fair_round) + 1, 0) FROM job w
                     WHERE w.kind = $1 AND w.concurrency_key = k.concurrency_key
                       AND w.status = 'PENDING')
         END AS next
    FROM (SELECT DISTINCT company_id, concurrency_key FROM input) k),
frontier AS MATERIALIZED (
  SELECT coalesce(min(fair_round), 0) AS round FROM job WHERE kind = $1 AND status = 'PENDING'),
inserted AS (
  INSERT INTO job (kind, company_id, dedupe_key, concurrency_key, payload, trigger,
                   max_attempts, status, fair_round)
  SELECT $1, i.company_id, i.dedupe_key, i.concurrency_key, i.payload, i.trigger,
         i.max_attempts, 'PENDING',
         greatest(k.next, f.round)
           + row_number() OVER (PARTITION BY i.company_id, i.concurrency_key ORDER BY i.n) - 1
    FROM input i
    -- coalesce: a join on equality, which hashes (IS NOT DISTINCT FROM would not).
    JOIN fair_keys k ON k.company_id = i.company_id
                    AND coalesce(k.concurrency_key, '') = coalesce(i.concurrency_key, '')
    CROSS JOIN frontier f
  ON CONFLICT (kind, dedupe_key) WHERE status = 'PENDING' DO NOTHING
  RETURNING ${COLUMNS})
${result}`;

export const SQL = {
  /**
   * Enqueue: jobs given as arrays ($2 companies, $3 dedupe keys, $4 concurrency keys,
   * $5 payloads, $6 triggers, $7 attempts).
   */
  enqueue: insertJobs(
    `input AS (
      SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::int[])
        WITH ORDINALITY AS i(company_id, dedupe_key, concurrency_key, payload, trigger,
                             max_attempts, n))`,
    'SELECT * FROM inserted',
  ),

  /** Coalescing: the waiting job of a key, with `$3` merged into its payload. */
  coalesce: `
    UPDATE job SET payload = payload || $3::jsonb,
                   updated_at = CASE WHEN payload @> $3::jsonb THEN updated_at ELSE now() END
     WHERE kind = $1 AND dedupe_key = $2 AND status = 'PENDING'
    RETURNING ${COLUMNS}`,

  /** A key's schedule ($6 ms apart), created or changed: looked at by the next tick. */
  schedule: `
    INSERT INTO job_schedule (kind, dedupe_key, company_id, payload, max_attempts, every)
    VALUES ($1, $2, $3, $4, $5, $6 * interval '1 millisecond')
    ON CONFLICT (kind, dedupe_key) DO UPDATE
       SET company_id = EXCLUDED.company_id, payload = EXCLUDED.payload,
           max_attempts = EXCLUDED.max_attempts, every = EXCLUDED.every, next_run_at = now()`,

  unschedule: `DELETE FROM job_schedule WHERE kind = $1 AND dedupe_key = $2 AND company_id = $3`,

  /**
   * A scheduler tick for kind $1, over up to $2 schedules whose time has come: a key whose
   * last finished job is older than its interval (or that never ran), and that has no job
   * waiting or running, gets one. Each schedule looked at moves on to when it may be due
   * next, so a tick reads only the schedules that may be due, whatever the number of keys
   * and of finished jobs.
   */
  schedules: insertJobs(
    `due AS (
      UPDATE job_schedule s
         SET next_run_at = coalesce(
               -- an interval after the last finished job, if that is still to come;
               (SELECT max(j.finished_at) + s.every FROM job j
                 WHERE j.kind = s.kind AND j.dedupe_key = s.dedupe_key
                   AND j.finished_at IS NOT NULL
                HAVING max(j.finished_at) + s.every > now()),
               -- else an interval from now (the job enqueued now, or one still open, will
               -- have finished by then, and the next tick starts from when it did).
               now() + s.every)
       WHERE s.ctid = ANY (ARRAY(
               SELECT ctid FROM job_schedule
                WHERE kind = $1 AND next_run_at <= now()
                ORDER BY next_run_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED))
      RETURNING s.company_id, s.dedupe_key, s.payload, s.max_attempts,
                s.next_run_at = now() + s.every AS elapsed),
    input AS (
      SELECT d.company_id, d.dedupe_key, NULL::text AS concurrency_key, d.payload,
             'schedule'::text AS trigger, d.max_attempts, row_number() OVER () AS n
        FROM due d
       WHERE d.elapsed
         AND NOT EXISTS (SELECT 1 FROM job j WHERE j.kind = $1 AND j.dedupe_key = d.dedupe_key
                                              AND j.status = 'PENDING')
         AND NOT EXISTS (SELECT 1 FROM job j WHERE j.kind = $1 AND j.dedupe_key = d.dedupe_key
                                              AND j.status = 'RUNNING'))`,
    `SELECT (SELECT count(*) FROM due)::int AS looked,
            (SELECT count(*) FROM inserted)::int AS enqueued`,
  ),

  /**
   * Claim: up to $3 due jobs of kind $1 in fair order, never one whose dedupe key already
   * runs, nor more than $5 running at once of one concurrency key (counting those already
   * running); one statement, FOR UPDATE SKIP LOCKED, so claimers never wait for each other.
   * Claimers racing for the last free places of a key may each take them: the bound holds per
   * claim, and across processes up to the jobs of claims made in the same instant.
   */
  claim: `
    -- The keys running now and how many each: a scan of the few RUNNING jobs of the kind.
    WITH running AS MATERIALIZED (
      SELECT concurrency_key, count(*) AS n FROM job
       WHERE kind = $1 AND status = 'RUNNING' AND concurrency_key IS NOT NULL
       GROUP BY concurrency_key),
    candidates AS MATERIALIZED (
      SELECT j.id, j.concurrency_key, j.fair_round, j.run_after
        FROM job j
       WHERE j.kind = $1 AND j.status = 'PENDING' AND j.run_after <= now()
         AND NOT (j.dedupe_key IS NOT NULL AND EXISTS (
               SELECT 1 FROM job r WHERE r.kind = j.kind AND r.dedupe_key = j.dedupe_key
                                     AND r.status = 'RUNNING'))
         -- A full key's jobs are passed over (a hashed set), however many of them wait.
         AND (j.concurrency_key IS NULL
              OR j.concurrency_key NOT IN (SELECT concurrency_key FROM running WHERE n >= $5))
       ORDER BY j.fair_round, j.run_after
       LIMIT $3
       FOR UPDATE OF j SKIP LOCKED),
    -- A key's candidates beyond its free places stay PENDING (locked only until this commits).
    picked AS (
      SELECT ranked.id FROM (
        SELECT c.id, c.concurrency_key, coalesce(r.n, 0) AS running,
               row_number() OVER (PARTITION BY c.concurrency_key
                                  ORDER BY c.fair_round, c.run_after) AS n
          FROM candidates c LEFT JOIN running r USING (concurrency_key)) ranked
       WHERE ranked.concurrency_key IS NULL OR ranked.running + ranked.n <= $5)
    UPDATE job j
       SET status = 'RUNNING', attempts = j.attempts + 1, locked_by = $2,
           locked_until = now() + $4 * interval '1 millisecond', started_at = now(),
           updated_at = now()
      FROM picked WHERE j.id = picked.id
    RETURNING ${J_COLUMNS}`,

  /** Heartbeat: extends the leases this worker still holds; reports cancellation requests. */
  heartbeat: `
    UPDATE job SET locked_until = now() + $3 * interval '1 millisecond'
     WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND status = 'RUNNING'
    RETURNING id, cancel_requested`,

  /** Complete: SUCCEEDED with their results ($2 ids, $3 results), if still this worker's. */
  complete: `
    UPDATE job j
       SET status = 'SUCCEEDED', result = d.result, last_error = NULL, locked_by = NULL,
           locked_until = NULL, finished_at = now(), updated_at = now()
      FROM unnest($2::uuid[], $3::jsonb[]) AS d(id, result)
     WHERE j.id = d.id AND j.locked_by = $1 AND j.status = 'RUNNING'
    RETURNING ${J_COLUMNS}`,

  /**
   * Fail: a retryable attempt ($3) goes back to PENDING after $5 ms; otherwise FAILED. A retry
   * whose key already has a waiting follow-up ends FAILED instead: the follow-up redoes it.
   */
  fail: `
    WITH mine AS (
      SELECT j.id, CASE WHEN NOT $3 THEN 'FAILED'
                        WHEN ${HAS_FOLLOW_UP} THEN 'SUPERSEDED'
                        ELSE 'PENDING' END AS next
        FROM job j WHERE j.id = $1 AND j.locked_by = $2 AND j.status = 'RUNNING')
    UPDATE job j
       SET status = CASE WHEN m.next = 'PENDING' THEN 'PENDING' ELSE 'FAILED' END,
           last_error = CASE WHEN m.next = 'SUPERSEDED' THEN $4 || ' (a newer job will retry)'
                             ELSE $4 END,
           locked_by = NULL, locked_until = NULL, result = $6::jsonb,
           run_after = CASE WHEN m.next = 'PENDING' THEN now() + $5 * interval '1 millisecond'
                            ELSE j.run_after END,
           finished_at = CASE WHEN m.next = 'PENDING' THEN NULL ELSE now() END,
           updated_at = now()
      FROM mine m WHERE j.id = m.id
    RETURNING ${J_COLUMNS}`,

  /**
   * Release (shutdown): back to PENDING without counting the attempt, or CANCELLED when a
   * follow-up already waits for its key.
   */
  release: `
    WITH mine AS (
      SELECT j.id, ${HAS_FOLLOW_UP} AS superseded
        FROM job j WHERE j.id = $1 AND j.locked_by = $2 AND j.status = 'RUNNING')
    UPDATE job j
       SET status = CASE WHEN m.superseded THEN 'CANCELLED' ELSE 'PENDING' END,
           attempts = CASE WHEN m.superseded THEN j.attempts ELSE greatest(j.attempts - 1, 0) END,
           last_error = CASE WHEN m.superseded THEN 'superseded by a newer job at shutdown'
                             ELSE j.last_error END,
           locked_by = NULL, locked_until = NULL, run_after = now(),
           finished_at = CASE WHEN m.superseded THEN now() END, updated_at = now()
      FROM mine m WHERE j.id = m.id
    RETURNING j.id`,

  /** The waiting jobs of concurrency keys (say, a disabled endpoint's deliveries) are cancelled. */
  cancelKeys: `
    UPDATE job SET status = 'CANCELLED', last_error = $3, finished_at = now(), updated_at = now()
     WHERE kind = $1 AND concurrency_key = ANY($2::text[]) AND status = 'PENDING'`,

  /** A running job stopped for good (cancelled, or its subject is gone). */
  cancelled: `
    UPDATE job SET status = 'CANCELLED', last_error = $3, locked_by = NULL, locked_until = NULL,
                   finished_at = now(), updated_at = now()
     WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'
    RETURNING id`,

  /**
   * Reap: RUNNING jobs whose lease ran out (their worker died or lost the database) go back
   * to PENDING, counted as a failed attempt, or to FAILED when none remain (or a follow-up
   * already waits), or CANCELLED if that was asked. Nothing stays RUNNING forever.
   */
  reap: `
    WITH expired AS (
      SELECT j.id, CASE WHEN j.cancel_requested THEN 'CANCELLED'
                        WHEN j.attempts >= j.max_attempts THEN 'FAILED'
                        WHEN ${HAS_FOLLOW_UP} THEN 'SUPERSEDED'
                        ELSE 'PENDING' END AS next
        FROM job j WHERE j.status = 'RUNNING' AND j.locked_until < now()
       FOR UPDATE OF j SKIP LOCKED)
    UPDATE job j
       SET status = CASE WHEN e.next = 'SUPERSEDED' THEN 'FAILED' ELSE e.next END,
           locked_by = NULL, locked_until = NULL,
           last_error = CASE e.next WHEN 'CANCELLED' THEN 'cancelled'
                                    WHEN 'SUPERSEDED' THEN 'worker lost (a newer job will retry)'
                                    ELSE 'worker lost' END,
           run_after = now(),
           finished_at = CASE WHEN e.next = 'PENDING' THEN NULL ELSE now() END,
           updated_at = now()
      FROM expired e WHERE j.id = e.id
    RETURNING ${J_COLUMNS}`,

  /**
   * Retention: up to $2 jobs finished more than $1 days ago. The latest finished job of a key
   * (a connection's last sync) is kept, however old.
   */
  retention: `
    WITH gone AS (
      DELETE FROM job WHERE id IN (
        SELECT j.id FROM job j
         WHERE j.finished_at < now() - $1 * interval '1 day'
           AND (j.dedupe_key IS NULL
                OR EXISTS (SELECT 1 FROM job newer
                            WHERE newer.kind = j.kind AND newer.dedupe_key = j.dedupe_key
                              AND newer.finished_at > j.finished_at))
         LIMIT $2)
      RETURNING 1)
    SELECT count(*)::int AS n FROM gone`,

  /** The metrics: waiting, due and running jobs, over the partial indexes of open jobs only. */
  stats: `
    SELECT (SELECT count(*) FROM job WHERE status = 'PENDING')::int AS pending,
           (SELECT count(*) FROM job WHERE status = 'PENDING' AND run_after <= now())::int AS due,
           (SELECT count(*) FROM job WHERE status = 'RUNNING')::int AS running,
           (SELECT extract(epoch FROM now() - min(run_after))::float8 FROM job
             WHERE status = 'PENDING' AND run_after <= now()) AS oldest`,

  /**
   * When the next periodic job of each of a company's keys ($3) is due: the schedule's next
   * look, or an interval after the key's last finished job if that is later (a tick that finds
   * a job finished since it last looked moves on to then). In the past: due at the next tick.
   * Keys without a schedule are left out.
   */
  nextRuns: `
    SELECT s.dedupe_key,
           greatest(s.next_run_at,
                    (SELECT max(j.finished_at) FROM job j
                      WHERE j.kind = s.kind AND j.dedupe_key = s.dedupe_key
                        AND j.finished_at IS NOT NULL) + s.every) AS next_run_at
      FROM job_schedule s
     WHERE s.kind = $1 AND s.company_id = $2 AND s.dedupe_key = ANY ($3::text[])`,

  /**
   * One company's queue at a glance, in one statement: waiting (and due) and running jobs per
   * kind, over the partial indexes of open jobs; the oldest due job; and the jobs finished
   * in each minute of the last hour (60 buckets, the current minute last), through the
   * finished-time index.
   */
  companyStats: `
    WITH open AS (
      -- Two parts, so each is read from its partial index of open jobs.
      SELECT id, kind, status, run_after FROM job WHERE company_id = $1 AND status = 'PENDING'
      UNION ALL
      SELECT id, kind, status, run_after FROM job WHERE company_id = $1 AND status = 'RUNNING'),
    depth AS (
      SELECT kind,
             count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
             count(*) FILTER (WHERE status = 'PENDING' AND run_after <= now())::int AS due,
             count(*) FILTER (WHERE status = 'RUNNING')::int AS running
        FROM open GROUP BY kind),
    oldest AS (
      SELECT id, kind, run_after FROM open
       WHERE status = 'PENDING' AND run_after <= now()
       ORDER BY run_after LIMIT 1),
    minutes AS (
      SELECT generate_series(date_trunc('minute', now()) - interval '59 minutes',
                             date_trunc('minute', now()), interval '1 minute') AS start),
    finished AS (
      SELECT date_trunc('minute', finished_at) AS start,
             count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS succeeded,
             count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
             count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled
        FROM job
       WHERE company_id = $1 AND finished_at >= date_trunc('minute', now()) - interval '59 minutes'
       GROUP BY 1)
    SELECT now() AS at,
           (SELECT coalesce(json_agg(depth ORDER BY kind), '[]') FROM depth) AS kinds,
           (SELECT json_build_object('id', id, 'kind', kind, 'run_after', run_after,
                                     'age', extract(epoch FROM now() - run_after)::float8)
              FROM oldest) AS oldest,
           (SELECT json_agg(json_build_object(
                     'start', m.start, 'succeeded', coalesce(f.succeeded, 0),
                     'failed', coalesce(f.failed, 0), 'cancelled', coalesce(f.cancelled, 0))
                     ORDER BY m.start)
              FROM minutes m LEFT JOIN finished f USING (start)) AS minutes`,

  /** The kinds that have jobs waiting or running (the registry's check at boot). */
  openKinds: `SELECT DISTINCT kind FROM job WHERE status IN ('PENDING', 'RUNNING') ORDER BY kind`,

  /** A company's job of a kind. */
  get: `SELECT ${COLUMNS} FROM job WHERE id = $1 AND company_id = $2 AND kind = $3`,

  /**
   * A company's request to cancel: PENDING -> CANCELLED at once; RUNNING -> cancellation
   * requested (its worker hears it at the next heartbeat).
   */
  cancel: `
    UPDATE job
       SET status = CASE WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END,
           finished_at = CASE WHEN status = 'PENDING' THEN now() ELSE finished_at END,
           last_error = CASE WHEN status = 'PENDING' THEN 'cancelled' ELSE last_error END,
           cancel_requested = true, updated_at = now()
     WHERE id = $1 AND company_id = $2 AND kind = $3 AND status IN ('PENDING', 'RUNNING')
    RETURNING ${COLUMNS}`,

  /**
   * The subject of a key is gone (a deleted connection): its open jobs are cancelled (a
   * running one is asked to stop) and all its jobs are detached from the key, kept readable.
   */
  detach: `
    UPDATE job
       SET status = CASE WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END,
           finished_at = CASE WHEN status = 'PENDING' THEN now() ELSE finished_at END,
           last_error = CASE WHEN status IN ('PENDING', 'RUNNING') THEN $4 ELSE last_error END,
           cancel_requested = cancel_requested OR status IN ('PENDING', 'RUNNING'),
           updated_at = CASE WHEN status IN ('PENDING', 'RUNNING') THEN now() ELSE updated_at END,
           dedupe_key = NULL
     WHERE kind = $1 AND dedupe_key = $2 AND company_id = $3`,
} as const;

/** The statements above by text: each runs as a prepared statement of that name. */
const PREPARED = new Map<string, string>(
  Object.entries(SQL).map(([name, text]) => [text, `job_${name}`]),
);

/** The list's filters; `cursor` is the id of the previous page's last job. */
export interface JobListFilter {
  dedupeKey?: string;
  status?: JobStatus;
  limit: number;
  cursor?: string;
}

export interface EnqueueResult<P = unknown, R = unknown> {
  job: Job<P, R>;
  /** True when the waiting job of the key was returned instead of a new one. */
  deduplicated: boolean;
}

export interface HeartbeatResult {
  /** Ids this worker still holds, and whether each is asked to stop. */
  held: Map<string, { cancelRequested: boolean }>;
}

export interface QueueStats {
  pending: number;
  due: number;
  running: number;
  oldestDueAgeSeconds: number;
}

/** One company's queue now (`JobQueue.companyStats`). */
export interface CompanyQueueStats {
  at: Date;
  /** Kinds with jobs waiting or running, by name. */
  kinds: { kind: string; pending: number; due: number; running: number }[];
  /** The PENDING job that has been due the longest; null when none is due. */
  oldestDue: { jobId: string; kind: string; runAfter: Date; ageSeconds: number } | null;
  /** The jobs finished in each minute of the last hour, oldest minute first (60 of them). */
  lastHour: FinishedInMinute[];
}

export interface FinishedInMinute {
  start: Date;
  succeeded: number;
  failed: number;
  cancelled: number;
}

interface CompanyStatsRow {
  at: Date;
  kinds: CompanyQueueStats['kinds'];
  oldest: { id: string; kind: string; run_after: string; age: number } | null;
  minutes: (Omit<FinishedInMinute, 'start'> & { start: string })[];
}

type Db = DataSource | EntityManager;

@Injectable()
export class JobQueue {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: JobRegistry,
    private readonly signals: JobSignals,
  ) {}

  /**
   * Adds a job. With a dedupe key: a waiting job of the key is returned instead
   * (`deduplicated`, with `mergeIntoWaiting` merged into its payload); if only a running one
   * exists, the new job waits behind it. Race-free under concurrent requests.
   */
  async enqueue<P, R = unknown>(
    job: NewJob<P>,
    options: { mergeIntoWaiting?: Partial<P> } = {},
  ): Promise<EnqueueResult<P, R>> {
    // The waiting job first: under a burst of triggers that is the common case, one statement.
    // Loops only if a waiting job appears or is claimed between the two statements.
    for (;;) {
      if (job.dedupeKey != null) {
        const [waiting] = await this.jobs<P, R>(this.dataSource, SQL.coalesce, [
          job.kind,
          job.dedupeKey,
          JSON.stringify(options.mergeIntoWaiting ?? {}),
        ]);
        if (waiting) return { job: waiting, deduplicated: true };
      }
      const [created] = await this.insert<P, R>(job.kind, [job]);
      if (created) return { job: created, deduplicated: false };
    }
  }

  /**
   * Adds many jobs of one kind in one statement; those whose key already waits are skipped.
   * In the caller's transaction when given `db` (with what the jobs are about).
   */
  async enqueueMany<P>(
    kind: string,
    jobs: Omit<NewJob<P>, 'kind'>[],
    db: Db = this.dataSource,
  ): Promise<Job<P>[]> {
    return this.insert<P>(kind, jobs, db);
  }

  /**
   * Creates or changes the schedule of a key: a job every `everyMs` after the last one
   * finished. In the caller's transaction (`db`), with the change of what it schedules.
   */
  async schedule<P>(
    db: EntityManager,
    schedule: Omit<NewJob<P>, 'trigger'> & { dedupeKey: string; everyMs: number },
  ): Promise<void> {
    await this.rows(db, SQL.schedule, [
      schedule.kind,
      schedule.dedupeKey,
      schedule.companyId,
      JSON.stringify(schedule.payload ?? {}),
      schedule.maxAttempts,
      schedule.everyMs,
    ]);
  }

  async unschedule(
    db: EntityManager,
    key: { kind: string; dedupeKey: string; companyId: string },
  ): Promise<void> {
    await this.rows(db, SQL.unschedule, [key.kind, key.dedupeKey, key.companyId]);
  }

  /**
   * A scheduler tick (`SQL.schedules`), `batchSize` schedules per statement until none is
   * left to look at; returns how many jobs were enqueued.
   */
  async enqueueSchedules(kind: string, batchSize = 10_000): Promise<number> {
    let enqueued = 0;
    for (;;) {
      const [tick] = await this.rows<{ looked: number; enqueued: number }>(
        this.dataSource,
        SQL.schedules,
        [kind, batchSize],
      );
      enqueued += tick.enqueued;
      if (tick.looked < batchSize) break;
    }
    if (enqueued) this.signals.enqueued(kind);
    return enqueued;
  }

  /**
   * Claims up to `limit` due jobs of a kind for `workerId`, holding each for `leaseMs`; at
   * most `perKey` of one concurrency key run at once (default: no bound).
   */
  async claim(
    kind: string,
    workerId: string,
    limit: number,
    leaseMs: number,
    perKey = UNBOUNDED,
  ): Promise<Job[]> {
    try {
      return await this.jobs(this.dataSource, SQL.claim, [kind, workerId, limit, leaseMs, perKey]);
    } catch (error) {
      // Two claimers raced for jobs of one key (a follow-up was queued while its predecessor
      // was being claimed): the unique index refused the second. Nothing was claimed by this
      // statement; the next tick tries again.
      if (isUniqueViolation(error)) return [];
      throw error;
    }
  }

  async heartbeat(workerId: string, ids: string[], leaseMs: number): Promise<HeartbeatResult> {
    const rows = await this.rows<{ id: string; cancel_requested: boolean }>(
      this.dataSource,
      SQL.heartbeat,
      [ids, workerId, leaseMs],
    );
    return {
      held: new Map(rows.map((row) => [row.id, { cancelRequested: row.cancel_requested }])),
    };
  }

  /**
   * Successes of one kind, in one statement (with the kind's `settled` hook in the same
   * transaction). Returns the ids that were still this worker's; the others were reaped.
   */
  async complete(
    kind: string,
    workerId: string,
    done: { id: string; result: unknown }[],
  ): Promise<Set<string>> {
    const results = done.map((d) => (d.result === undefined ? null : JSON.stringify(d.result)));
    const rows = await this.settle(kind, SQL.complete, [workerId, done.map((d) => d.id), results]);
    return new Set(rows.map((row) => row.id));
  }

  /**
   * A failed attempt: retried after `delayMs` when `retry`, else FAILED. Returns the job as it
   * is now, or undefined when it was no longer this worker's.
   */
  async fail(
    job: Job,
    workerId: string,
    failure: { message: string; retry: boolean; delayMs: number; result?: unknown },
  ): Promise<Job | undefined> {
    const result = failure.result === undefined ? null : JSON.stringify(failure.result);
    const params = [job.id, workerId, failure.retry, failure.message, failure.delayMs, result];
    try {
      return (await this.settle(job.kind, SQL.fail, params))[0];
    } catch (error) {
      // A follow-up was enqueued while this statement ran: once more, and it sees it.
      if (!isUniqueViolation(error)) throw error;
      return (await this.settle(job.kind, SQL.fail, params))[0];
    }
  }

  /** Returns false when the job was no longer this worker's. */
  async release(jobId: string, workerId: string): Promise<boolean> {
    return (await this.rows(this.dataSource, SQL.release, [jobId, workerId])).length > 0;
  }

  async cancelled(jobId: string, workerId: string, reason: string): Promise<boolean> {
    return (await this.rows(this.dataSource, SQL.cancelled, [jobId, workerId, reason])).length > 0;
  }

  /** Reaps expired leases, with each kind's `settled` hook in the same transaction. */
  async reap(): Promise<Job[]> {
    return this.dataSource.transaction(async (tx) => {
      const reaped = await this.jobs(tx, SQL.reap);
      for (const handler of this.registry.all()) {
        const ended = reaped.filter((j) => j.kind === handler.kind && j.status !== 'CANCELLED');
        if (ended.length && handler.settled) await handler.settled(tx, ended);
      }
      return reaped;
    });
  }

  /**
   * Retention: deletes jobs finished more than `days` ago, `batchSize` rows per statement and
   * at most `maxBatches` statements per call, so a large backlog never holds locks for long.
   */
  async deleteFinishedOlderThan(days: number, batchSize = 1000, maxBatches = 20): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const [{ n }] = await this.rows<{ n: number }>(this.dataSource, SQL.retention, [
        days,
        batchSize,
      ]);
      deleted += n;
      if (n < batchSize) break;
    }
    return deleted;
  }

  async stats(): Promise<QueueStats> {
    const [row] = await this.rows<{
      pending: number;
      due: number;
      running: number;
      oldest: number | null;
    }>(this.dataSource, SQL.stats);
    return { ...row, oldestDueAgeSeconds: Math.max(0, row.oldest ?? 0) };
  }

  /** See `SQL.nextRuns`: the next periodic job of each key of `keys` that has a schedule. */
  async nextRuns(kind: string, companyId: string, keys: string[]): Promise<Map<string, Date>> {
    if (!keys.length) return new Map();
    const rows = await this.rows<{ dedupe_key: string; next_run_at: Date }>(
      this.dataSource,
      SQL.nextRuns,
      [kind, companyId, keys],
    );
    return new Map(rows.map((row) => [row.dedupe_key, row.next_run_at]));
  }

  /** See `SQL.companyStats`. */
  async companyStats(companyId: string): Promise<CompanyQueueStats> {
    const [row] = await this.rows<CompanyStatsRow>(this.dataSource, SQL.companyStats, [companyId]);
    return {
      at: row.at,
      kinds: row.kinds,
      oldestDue: row.oldest && {
        jobId: row.oldest.id,
        kind: row.oldest.kind,
        runAfter: new Date(row.oldest.run_after),
        ageSeconds: Math.max(0, row.oldest.age),
      },
      lastHour: row.minutes.map((m) => ({ ...m, start: new Date(m.start) })),
    };
  }

  async openKinds(): Promise<string[]> {
    const rows = await this.rows<{ kind: string }>(this.dataSource, SQL.openKinds);
    return rows.map((row) => row.kind);
  }

  async get<P, R>(kind: string, companyId: string, id: string): Promise<Job<P, R> | undefined> {
    return (await this.jobs<P, R>(this.dataSource, SQL.get, [id, companyId, kind]))[0];
  }

  /** A company's jobs of a kind, newest first. */
  async list<P, R>(kind: string, companyId: string, filter: JobListFilter): Promise<Job<P, R>[]> {
    const params: unknown[] = [companyId, kind, filter.limit];
    const where = ['company_id = $1', 'kind = $2'];
    if (filter.dedupeKey) where.push(`dedupe_key = $${params.push(filter.dedupeKey)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.cursor) {
      // The cursor is the last job shown; comparing with its stored row keeps full precision.
      const id = params.push(filter.cursor);
      where.push(
        `(created_at, id) < (SELECT created_at, id FROM job WHERE id = $${id} AND company_id = $1)`,
      );
    }
    return this.jobs<P, R>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM job WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      params,
    );
  }

  /** Undefined when the job is not open (not found, or already finished). */
  async cancel<P, R>(kind: string, companyId: string, id: string): Promise<Job<P, R> | undefined> {
    return (await this.jobs<P, R>(this.dataSource, SQL.cancel, [id, companyId, kind]))[0];
  }

  /** See `SQL.cancelKeys`; runs in the caller's transaction (`db`). */
  async cancelKeys(db: EntityManager, kind: string, keys: string[], reason: string) {
    await this.rows(db, SQL.cancelKeys, [kind, keys, reason]);
  }

  /** See `SQL.detach`; runs in the caller's transaction (`db`). */
  async detach(
    db: EntityManager,
    job: { kind: string; dedupeKey: string; companyId: string },
    reason: string,
  ): Promise<void> {
    await this.rows(db, SQL.detach, [job.kind, job.dedupeKey, job.companyId, reason]);
  }

  /**
   * Inserts, then tells this process's worker (others hear the NOTIFY). In a transaction, the
   * worker may look before the commit; the NOTIFY at the commit wakes it again.
   */
  private async insert<P, R = unknown>(
    kind: string,
    jobs: Omit<NewJob<P>, 'kind'>[],
    db: Db = this.dataSource,
  ): Promise<Job<P, R>[]> {
    const created = await this.jobs<P, R>(db, SQL.enqueue, [
      kind,
      jobs.map((j) => j.companyId),
      jobs.map((j) => j.dedupeKey ?? null),
      jobs.map((j) => j.concurrencyKey ?? null),
      jobs.map((j) => JSON.stringify(j.payload ?? {})),
      jobs.map((j): JobTrigger => j.trigger),
      jobs.map((j) => j.maxAttempts),
    ]);
    if (created.length) this.signals.enqueued(kind);
    return created;
  }

  /** A transition of one kind's jobs, in a transaction with its `settled` hook if it has one. */
  private async settle(kind: string, sql: string, params: unknown[]): Promise<Job[]> {
    const handler = this.registry.get(kind);
    if (!handler?.settled) return this.jobs(this.dataSource, sql, params);
    return this.dataSource.transaction(async (tx) => {
      const jobs = await this.jobs(tx, sql, params);
      if (jobs.length) await handler.settled!(tx, jobs);
      return jobs;
    });
  }

  /**
   * Rows of a statement. Outside a transaction, the statements of `SQL` run on the pool under
   * TypeORM as named prepared statements: planned once per connection instead of on every
   * call, which is most of a claim's cost on an idle queue.
   */
  private async rows<T extends pg.QueryResultRow>(
    db: Db,
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const name = PREPARED.get(sql);
    if (db !== this.dataSource || !name) return sqlRows<T>(db, sql, params);
    return preparedRows<T>(this.dataSource, name, sql, params);
  }

  private async jobs<P = unknown, R = unknown>(
    db: Db,
    sql: string,
    params: unknown[] = [],
  ): Promise<Job<P, R>[]> {
    return (await this.rows<JobRow<P, R>>(db, sql, params)).map(toJob);
  }
}

/** The claim's per-key bound for kinds without one (the largest `integer`). */
const UNBOUNDED = 2 ** 31 - 1;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

interface JobRow<P, R> {
  id: string;
  kind: string;
  company_id: string;
  dedupe_key: string | null;
  concurrency_key: string | null;
  payload: P;
  status: JobStatus;
  trigger: JobTrigger;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  run_after: Date;
  locked_by: string | null;
  locked_until: Date | null;
  cancel_requested: boolean;
  result: R | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toJob<P, R>(row: JobRow<P, R>): Job<P, R> {
  return {
    id: row.id,
    kind: row.kind,
    companyId: row.company_id,
    dedupeKey: row.dedupe_key,
    concurrencyKey: row.concurrency_key,
    payload: row.payload,
    status: row.status,
    trigger: row.trigger,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    runAfter: row.run_after,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    cancelRequested: row.cancel_requested,
    result: row.result,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
