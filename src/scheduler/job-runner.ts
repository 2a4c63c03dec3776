import type { JobOutcome, MetricsService } from '../metrics/metrics.service.js';
import { logContext, type RootLogger } from '../logging/logger.js';
import type { Job } from '../queue/job.js';
import { JobCancelled, type JobHandler, type JobRun } from '../queue/job-handler.js';
import type { JobQueue } from '../queue/job-queue.js';
import { CompletionBatch } from './completion-batch.js';
import { Heartbeats } from './heartbeats.js';

/** Why a running job's AbortSignal fired. */
type StopReason = 'cancelled' | 'lost' | 'shutdown';

/** One kind's jobs in this process: its slots, its heartbeats and its batched completions. */
export class KindLane {
  /** Jobs whose handler runs now, and how to stop each. */
  readonly running = new Map<string, AbortController>();
  readonly heartbeats: Heartbeats;
  readonly completions: CompletionBatch;

  constructor(
    readonly handler: JobHandler,
    beat: (lane: KindLane, ids: string[]) => Promise<void>,
    complete: (kind: string, done: { id: string; result: unknown }[]) => Promise<Set<string>>,
  ) {
    const { leaseMs } = handler.settings;
    this.heartbeats = new Heartbeats(Math.max(Math.min(leaseMs / 3, 2000), 5), (ids) =>
      beat(this, ids),
    );
    this.completions = new CompletionBatch((done) => complete(handler.kind, done));
  }

  /** Slots to claim: a job waiting for its completion to be written still holds its slot. */
  get free(): number {
    return this.handler.settings.concurrency - this.running.size - this.completions.size;
  }
}

export interface JobRunnerOptions {
  queue: JobQueue;
  workerId: string;
  metrics: MetricsService;
  log: RootLogger;
  /** A slot of `kind` became free: time to claim again. */
  onFreed: (kind: string) => void;
}

/**
 * Runs claimed jobs: the kind's handler under a heartbeat, then the transition that settles
 * the attempt (success, retry after the kind's backoff, failure, cancellation, release at
 * shutdown), its log lines and its metrics. Every line logged meanwhile, here or in the
 * handler, carries the job's id and company id (and the ids the handler names).
 */
export class JobRunner {
  private readonly lanes = new Map<string, KindLane>();
  /** Attempts from claim to settlement. */
  private readonly attempts = new Set<Promise<void>>();

  constructor(private readonly options: JobRunnerOptions) {}

  lane(handler: JobHandler): KindLane {
    let lane = this.lanes.get(handler.kind);
    if (!lane) {
      lane = new KindLane(
        handler,
        (of, ids) => this.beat(of, ids),
        (kind, done) => this.options.queue.complete(kind, this.options.workerId, done),
      );
      this.lanes.set(handler.kind, lane);
    }
    return lane;
  }

  /** Attempts not yet settled. */
  get inFlight(): number {
    return this.attempts.size;
  }

  /** Resolves when every attempt under way is settled. */
  async settled(): Promise<void> {
    await Promise.all(this.attempts);
  }

  /** Stops every running handler (their jobs are released to PENDING). */
  stopAll(): void {
    for (const lane of this.lanes.values()) {
      for (const stop of lane.running.values()) stop.abort('shutdown' satisfies StopReason);
    }
  }

  start(lane: KindLane, job: Job): void {
    const stop = new AbortController();
    lane.running.set(job.id, stop);
    lane.heartbeats.add(job.id);
    const ids = { jobId: job.id, companyId: job.companyId, ...lane.handler.logContext?.(job) };
    const attempt = logContext
      .run(ids, () => this.attempt(lane, job, stop))
      .finally(() => {
        this.attempts.delete(attempt);
        this.options.onFreed(job.kind);
      });
    this.attempts.add(attempt);
  }

  private async attempt(lane: KindLane, job: Job, stop: AbortController): Promise<void> {
    const { handler } = lane;
    const timer = this.options.metrics.jobDuration.startTimer();
    let label = job.kind;
    const run: JobRun = { signal: stop.signal, label: (value) => (label = value) };
    const context = { context: 'QueueWorker', kind: job.kind, attempt: job.attempts };
    this.options.log
      .child(context)
      .info(`job ${job.id} started (${job.trigger}, attempt ${job.attempts})`);
    let outcome: JobOutcome;
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      result = await handler.run(job, run);
    } catch (error) {
      failure = { error };
    } finally {
      lane.running.delete(job.id);
      lane.heartbeats.remove(job.id);
    }
    const log = this.options.log.child({ ...context, provider: label });
    try {
      outcome = failure
        ? await this.settleFailure(lane, job, stop.signal, failure.error, log)
        : await this.succeed(lane, job, result, log);
    } catch (error) {
      // The database is away: the lease runs out and the reaper settles the job.
      log.error({ err: error }, `job ${job.id} could not be settled; the reaper will`);
      outcome = 'lost';
    }
    timer({ provider: label, outcome });
  }

  private async succeed(
    lane: KindLane,
    job: Job,
    result: unknown,
    log: RootLogger,
  ): Promise<JobOutcome> {
    const written = lane.completions.add(job.id, result);
    this.options.onFreed(job.kind);
    if (!(await written)) {
      log.warn(`job ${job.id} finished after its lease was taken over; result dropped`);
      return 'lost';
    }
    this.options.metrics.jobsFinished.inc({ status: 'SUCCEEDED' });
    log.info({ result }, `job ${job.id} succeeded`);
    return 'succeeded';
  }

  private async settleFailure(
    lane: KindLane,
    job: Job,
    signal: AbortSignal,
    error: unknown,
    log: RootLogger,
  ): Promise<JobOutcome> {
    const { queue, workerId, metrics } = this.options;
    const reason = signal.aborted ? (signal.reason as StopReason) : undefined;
    if (reason === 'lost') {
      log.warn(`job ${job.id} was taken over by the reaper; stopped`);
      return 'lost';
    }
    if (reason === 'shutdown') {
      await queue.release(job.id, workerId);
      log.info(`job ${job.id} released at shutdown`);
      return 'released';
    }
    if (reason === 'cancelled' || error instanceof JobCancelled) {
      const why = error instanceof JobCancelled ? error.message : 'cancelled';
      await queue.cancelled(job.id, workerId, why);
      metrics.jobsFinished.inc({ status: 'CANCELLED' });
      log.info(`job ${job.id} cancelled (${why})`);
      return 'cancelled';
    }
    const { handler } = lane;
    const verdict = handler.verdict(error);
    const retry = verdict.retryable && job.attempts < job.maxAttempts;
    const delayMs = retry
      ? Math.max(handler.settings.backoffMs(job.attempts), verdict.retryAfterMs ?? 0)
      : 0;
    const message = verdict.message.slice(0, 2000);
    const after = await queue.fail(job, workerId, {
      message,
      retry,
      delayMs,
      result: verdict.result,
    });
    const status = after?.status;
    if (status === 'PENDING') {
      metrics.jobRetries.inc({ error_class: verdict.errorClass });
    } else if (status === 'FAILED') {
      metrics.jobFailures.inc({ error_class: verdict.errorClass });
      metrics.jobsFinished.inc({ status: 'FAILED' });
    }
    log.warn(
      { errorClass: verdict.errorClass, status },
      `job ${job.id} attempt ${job.attempts} failed (${status ?? 'no longer ours'}): ${message}`,
    );
    return status === 'PENDING' ? 'retry' : status === 'FAILED' ? 'failed' : 'lost';
  }

  /** One heartbeat for a lane's running jobs: lost leases and cancellations stop their run. */
  private async beat(lane: KindLane, ids: string[]): Promise<void> {
    const { queue, workerId, log } = this.options;
    try {
      const { held } = await queue.heartbeat(workerId, ids, lane.handler.settings.leaseMs);
      for (const id of ids) {
        const stop = lane.running.get(id);
        if (!stop || stop.signal.aborted) continue;
        const lease = held.get(id);
        if (!lease) stop.abort('lost' satisfies StopReason);
        else if (lease.cancelRequested) stop.abort('cancelled' satisfies StopReason);
      }
    } catch (error) {
      log.warn({ err: error, kind: lane.handler.kind }, `heartbeat of ${ids.length} job(s) failed`);
    }
  }
}
