import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { ifLockAvailable } from '../database/advisory-lock.js';
import { JobSignals } from '../sync-jobs/job-signals.js';
import { SyncJobService, type ClaimedJob } from '../sync-jobs/sync-job.service.js';
import { DirectoryService } from '../directory/directory.service.js';
import { TriggerRateLimit } from '../sync-jobs/trigger-rate-limit.js';
import { SyncService } from '../sync/sync.service.js';
import { logContext, ROOT_LOGGER, type RootLogger } from '../logging/logger.js';
import { MetricsService, type JobOutcome } from '../metrics/metrics.service.js';
import type { SyncStats } from '../sync/sync-stats.js';
import { errorClass, failureVerdict } from './job-failure.js';
import { JobListener } from './job-listener.js';

/** Why a running job's AbortSignal fired. */
type StopReason = 'cancelled' | 'lost' | 'shutdown';

const POLL_INTERVAL = 'sync-poll';
const MAX_PAUSE_MS = 60_000;
/** Names the advisory lock of the once-per-round housekeeping (any fixed number). */
const HOUSEKEEPING_LOCK = 7_346_213_002;

/**
 * This process's worker: claims due jobs up to SYNC_CONCURRENCY, runs each sync with a
 * heartbeat that extends its lease, and settles it (success, retry with backoff, failure,
 * cancellation). The poll interval also reaps expired leases and enqueues periodic syncs.
 * An enqueue in this process, or a finished job, triggers a claim at once.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger(SyncWorker.name);
  private readonly running = new Map<string, { done: Promise<void>; stop: AbortController }>();
  private currentTick?: Promise<void>;
  private tickAgain = false;
  /** After failed ticks (the database is away), kicks are ignored until then. */
  private pausedUntil = 0;
  private failedTicks = 0;
  private stopping = false;
  private unsubscribe?: () => void;
  /** When the claim loop last completed a tick (or was started): the readiness check. */
  private lastTickAt = Date.now();

  constructor(
    private readonly jobs: SyncJobService,
    private readonly sync: SyncService,
    private readonly signals: JobSignals,
    private readonly rateLimit: TriggerRateLimit,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly registry: SchedulerRegistry,
    private readonly listener: JobListener,
    private readonly directory: DirectoryService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    @Inject(ROOT_LOGGER) private readonly log: RootLogger,
  ) {}

  /** Whether this process runs the claim loop (ROLE all or worker). */
  get runsLoop(): boolean {
    return this.config.get('role', { infer: true }) !== 'api';
  }

  /**
   * The claim loop is alive when a tick ended (well or not) within three poll intervals
   * plus 10 s, counted from the end of a deliberate pause (the database was away): a loop
   * stuck in a tick, or never ticking, is not.
   */
  loopStatus(now = Date.now()): { alive: boolean; lastTickAt: string; staleAfterMs: number } {
    const staleAfterMs = 3 * this.config.get('syncPollIntervalMs', { infer: true }) + 10_000;
    const since = Math.max(this.lastTickAt, this.pausedUntil);
    return {
      alive: !this.stopping && now - since <= staleAfterMs,
      lastTickAt: new Date(this.lastTickAt).toISOString(),
      staleAfterMs,
    };
  }

  /** ROLE=api serves HTTP only: no claiming, no housekeeping. */
  onApplicationBootstrap(): void {
    if (!this.runsLoop) return;
    this.lastTickAt = Date.now();
    const every = this.config.get('syncPollIntervalMs', { infer: true });
    this.registry.addInterval(
      POLL_INTERVAL,
      setInterval(() => this.kick({ housekeeping: true }), every),
    );
    this.unsubscribe = this.signals.onEnqueued(() => this.kick());
    this.listener.start(() => this.kick());
    this.kick({ housekeeping: true });
  }

  /** Stop claiming; give running jobs SHUTDOWN_GRACE_MS, then release the rest to PENDING. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    await this.listener.stop();
    if (this.registry.doesExist('interval', POLL_INTERVAL)) {
      this.registry.deleteInterval(POLL_INTERVAL);
    }
    // A tick under way (housekeeping, a claim) finishes before the pool closes.
    await this.currentTick?.catch(() => undefined);
    const all = Promise.all([...this.running.values()].map((run) => run.done));
    const grace = this.config.get('shutdownGraceMs', { infer: true });
    // ref: false: once the jobs are done, the grace timer must not keep the process alive.
    const graceOver = sleep(grace, false, { ref: false });
    const finished = await Promise.race([all.then(() => true), graceOver]);
    if (finished) return;
    for (const run of this.running.values()) run.stop.abort('shutdown' satisfies StopReason);
    await all;
  }

  /**
   * Runs a tick soon; never overlapping another (a kick during a tick runs one more). A
   * failing tick (database away) pauses the loop, doubling from the poll interval up to a
   * minute, and the loop resumes by itself once the database answers again.
   */
  kick(options: { housekeeping?: boolean } = {}): void {
    if (this.stopping || Date.now() < this.pausedUntil) return;
    this.tick(options).then(
      () => {
        this.failedTicks = 0;
        this.lastTickAt = Date.now();
      },
      (error: unknown) => {
        this.failedTicks++;
        this.lastTickAt = Date.now();
        const poll = this.config.get('syncPollIntervalMs', { infer: true });
        const pause = Math.min(poll * 2 ** (this.failedTicks - 1), MAX_PAUSE_MS);
        this.pausedUntil = Date.now() + pause;
        this.logger.error(`worker tick failed (${String(error)}); next try in ${pause} ms`);
      },
    );
  }

  /**
   * Claims and runs jobs until the queue has nothing due, then waits for the running ones.
   * For tests and tools that want the queue empty now rather than at the next poll.
   */
  async drain(): Promise<void> {
    await this.housekeeping();
    do {
      await this.tick({});
      await Promise.all([...this.running.values()].map((run) => run.done));
    } while (
      this.currentTick !== undefined ||
      this.running.size > 0 ||
      (await this.claimFreeSlots()) > 0
    );
  }

  /**
   * One tick at a time: a tick requested while one runs makes that one go round again, and
   * the caller gets the running tick's promise.
   */
  private tick(options: { housekeeping?: boolean }): Promise<void> {
    if (this.currentTick) {
      this.tickAgain = true;
      return this.currentTick;
    }
    this.currentTick = this.runTick(options).finally(() => (this.currentTick = undefined));
    return this.currentTick;
  }

  private async runTick({ housekeeping = false }: { housekeeping?: boolean }): Promise<void> {
    if (housekeeping) await this.housekeeping();
    do {
      this.tickAgain = false;
    } while ((await this.claimFreeSlots()) > 0 || this.tickAgain);
  }

  private async housekeeping(): Promise<void> {
    const reaped = await this.jobs.reapExpired();
    if (reaped) {
      this.metrics.jobsReaped.inc(reaped);
      this.logger.warn(`reaped ${reaped} job(s) whose worker stopped heartbeating`);
    }
    await this.jobs.enqueueDueSchedules();
    // Retention needs only one instance at a time: whoever holds the lock this round.
    await ifLockAvailable(this.dataSource, HOUSEKEEPING_LOCK, async () => {
      const days = this.config.get('jobRetentionDays', { infer: true });
      const deleted = await this.jobs.deleteFinishedOlderThan(days);
      if (deleted) this.logger.log(`retention: deleted ${deleted} job(s) older than ${days} days`);
      await this.rateLimit.prune();
    });
  }

  /** Claims up to the free slots; returns how many jobs it started. */
  private async claimFreeSlots(): Promise<number> {
    const free = this.config.get('syncConcurrency', { infer: true }) - this.running.size;
    if (this.stopping || free <= 0) return 0;
    const claimed = await this.jobs.claim(this.workerId, free);
    for (const job of claimed) this.start(job);
    return claimed.length;
  }

  private start(job: ClaimedJob): void {
    const stop = new AbortController();
    const done = this.process(job, stop).finally(() => {
      this.running.delete(job.id);
      if (!this.stopping) this.kick();
    });
    this.running.set(job.id, { done, stop });
  }

  /**
   * Runs one claimed job. Every line logged meanwhile (here, in the sync engine, in the
   * providers) carries the job id, connection id and company id.
   */
  private process(job: ClaimedJob, stop: AbortController): Promise<void> {
    const ids = { jobId: job.id, connectionId: job.connectionId ?? undefined };
    return logContext.run({ ...ids, companyId: job.companyId }, () => this.runJob(job, stop));
  }

  private async runJob(job: ClaimedJob, stop: AbortController): Promise<void> {
    const provider = job.connection?.type ?? 'unknown';
    const log = this.log.child({ context: SyncWorker.name, provider, attempt: job.attempts });
    const timer = this.metrics.jobDuration.startTimer({ provider });
    const lease = this.config.get('syncLeaseMs', { infer: true });
    const heartbeat = setInterval(
      () => {
        this.heartbeat(job, stop).catch((error: unknown) =>
          log.warn({ err: error }, `heartbeat of job ${job.id} failed`),
        );
      },
      Math.max(Math.min(lease / 3, 2000), 5),
    );
    let outcome: JobOutcome;
    log.info(`job ${job.id} started (${job.trigger}, attempt ${job.attempts})`);
    try {
      if (!job.connection) throw new NotFoundException('the connection was deleted');
      const target = this.directory.syncTarget(job.connection);
      const stats = await this.sync.run(target, stop.signal, {
        allowMassDeprovision: job.allowMassDeprovision,
      });
      if (await this.jobs.complete(job.id, this.workerId, stats)) {
        outcome = 'succeeded';
        this.recordSuccess(provider, stats);
        log.info({ stats }, `job ${job.id} succeeded`);
      } else {
        outcome = 'lost';
        log.warn(`job ${job.id} finished after its lease was taken over; result dropped`);
      }
    } catch (error) {
      outcome = await this.settleFailure(job, stop.signal, error, log);
    } finally {
      clearInterval(heartbeat);
    }
    timer({ outcome });
  }

  private recordSuccess(provider: string, stats: SyncStats): void {
    this.metrics.jobsFinished.inc({ status: 'SUCCEEDED' });
    this.metrics.recordStats(provider, stats);
  }

  private async heartbeat(job: ClaimedJob, stop: AbortController): Promise<void> {
    if (stop.signal.aborted) return;
    const beat = await this.jobs.heartbeat(job.id, this.workerId);
    if (!beat.ours) stop.abort('lost' satisfies StopReason);
    else if (beat.cancelRequested) stop.abort('cancelled' satisfies StopReason);
  }

  private async settleFailure(
    job: ClaimedJob,
    signal: AbortSignal,
    error: unknown,
    log: RootLogger,
  ): Promise<JobOutcome> {
    const reason = signal.aborted ? (signal.reason as StopReason) : undefined;
    if (reason === 'lost') {
      log.warn(`job ${job.id} was taken over by the reaper; stopped`);
      return 'lost';
    }
    if (reason === 'shutdown') {
      await this.jobs.release(job.id, this.workerId);
      log.info(`job ${job.id} released at shutdown`);
      return 'released';
    }
    if (reason === 'cancelled' || error instanceof NotFoundException) {
      const why = reason === 'cancelled' ? 'cancelled' : 'the connection was deleted';
      await this.jobs.cancelled(job.id, this.workerId, why);
      this.metrics.jobsFinished.inc({ status: 'CANCELLED' });
      log.info(`job ${job.id} cancelled (${why})`);
      return 'cancelled';
    }
    const verdict = failureVerdict(error);
    const kind = errorClass(error);
    const status = await this.jobs.fail(job, this.workerId, verdict);
    if (job.connectionId) await this.directory.recordSyncFailure(job.connectionId, verdict.message);
    if (status === 'PENDING') {
      this.metrics.jobRetries.inc({ error_class: kind });
    } else if (status === 'FAILED') {
      this.metrics.jobFailures.inc({ error_class: kind });
      this.metrics.jobsFinished.inc({ status: 'FAILED' });
    }
    log.warn(
      { errorClass: kind, status },
      `job ${job.id} attempt ${job.attempts} failed (${status}): ${verdict.message}`,
    );
    return status === 'PENDING' ? 'retry' : status === 'FAILED' ? 'failed' : 'lost';
  }
}
