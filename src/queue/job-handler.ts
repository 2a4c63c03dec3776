import type { EntityManager } from 'typeorm';
import type { Job } from './job.js';

/** What a kind declares about how its jobs run. */
export interface KindSettings {
  /** Jobs of the kind one process runs at once; its free slots are claimed in one statement. */
  concurrency: number;
  /**
   * Jobs of one concurrency key running at once across every process (default: no bound), so
   * one key (a slow webhook endpoint) cannot take every slot.
   */
  perKey?: number;
  /** How long a claim holds a job; the worker's heartbeats extend it while the job runs. */
  leaseMs: number;
  /** The wait before the attempt that follows `attempts` failed ones. */
  backoffMs(attempts: number): number;
}

/** How a failed attempt ends: retried after the backoff, or failed for good. */
export interface FailureVerdict {
  message: string;
  retryable: boolean;
  /** The other side asked us not to come back before this. */
  retryAfterMs?: number;
  /** Why it failed, as the metrics label it (`transient`, `auth`, …). */
  errorClass: string;
  /** What the failed attempt leaves on the job for a person to read (its `result`). */
  result?: unknown;
}

/** One attempt of a job, as its handler sees it. */
export interface JobRun {
  /** Aborted when the job is cancelled, taken over by the reaper, or the process stops. */
  readonly signal: AbortSignal;
  /** Names what the attempt works with (e.g. the provider), for its log lines and metrics. */
  label(value: string): void;
}

/** Thrown by a handler: the job cannot run any more (e.g. its connection was deleted). */
export class JobCancelled extends Error {}

/**
 * A kind of job: registered once per process with the JobRegistry. The queue claims, leases,
 * retries and settles its jobs; the handler only runs one and classifies its errors.
 */
export interface JobHandler<P = unknown, R = unknown> {
  readonly kind: string;
  readonly settings: KindSettings;
  /** Ids the job's log lines carry besides its own and its company's. */
  logContext?(job: Job<P, R>): Record<string, string | undefined>;
  run(job: Job<P, R>, run: JobRun): Promise<R>;
  verdict(error: unknown): FailureVerdict;
  /**
   * Makes this kind's jobs from rows kept elsewhere (the webhook kind: new events into
   * deliveries). The worker calls it on every poll tick and whenever a NOTIFY on `job_feed`
   * names the kind, before it claims; it must be safe to run in several processes at once.
   */
  feed?(): Promise<void>;
  /**
   * Called in the transaction of the transitions that end an attempt (SUCCEEDED, FAILED, or
   * PENDING again for a retry), with the jobs as they are after it: what the kind records
   * about an outcome commits with the outcome itself, or not at all.
   */
  settled?(tx: EntityManager, jobs: Job<P, R>[]): Promise<void>;
}
