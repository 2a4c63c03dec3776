import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../config/config.schema.js';
import { ROOT_LOGGER, type RootLogger } from '../logging/logger.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { JobListener } from '../queue/job-listener.js';
import { JobQueue } from '../queue/job-queue.js';
import { JobRegistry } from '../queue/job-registry.js';
import { JobSignals } from '../queue/job-signals.js';
import { JobRunner } from './job-runner.js';
import { Reaper } from './reaper.js';
import { Retention } from './retention.js';
import { SyncSchedule } from './sync-schedule.js';

const POLL_INTERVAL = 'queue-poll';
const MAX_PAUSE_MS = 60_000;

/**
 * This process's worker, for every registered kind: claims due jobs up to each kind's free
 * slots (one statement per kind and round), runs them (JobRunner), and claims again as slots
 * free up. It wakes on an enqueue in this process, on NOTIFY from any other, and on the poll
 * interval, which also runs the housekeeping duties.
 */
@Injectable()
export class QueueWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger(QueueWorker.name);
  private readonly runner: JobRunner;
  private currentTick?: Promise<void>;
  /** Kinds that may have due jobs for free slots: what the tick under way claims next. */
  private readonly wanted = new Set<string>();
  private wantAll = false;
  /** Kinds whose feed (JobHandler.feed) should run before the next claim. */
  private readonly feeds = new Set<string>();
  private housekeepingDue = false;
  /** After failed ticks (the database is away), kicks are ignored until then. */
  private pausedUntil = 0;
  private failedTicks = 0;
  private stopping = false;
  private unsubscribe?: () => void;
  /** When the claim loop last completed a tick (or was started): the readiness check. */
  private lastTickAt = Date.now();

  constructor(
    private readonly queue: JobQueue,
    private readonly registry: JobRegistry,
    private readonly signals: JobSignals,
    private readonly listener: JobListener,
    private readonly reaper: Reaper,
    private readonly retention: Retention,
    private readonly syncSchedule: SyncSchedule,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly intervals: SchedulerRegistry,
    metrics: MetricsService,
    @Inject(ROOT_LOGGER) log: RootLogger,
  ) {
    this.runner = new JobRunner({
      queue,
      workerId: this.workerId,
      metrics,
      log,
      onFreed: (kind) => {
        if (!this.stopping) this.kick({ kind });
      },
    });
  }

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

  /** Reports kinds waiting in the table that no handler here runs; then starts the loop. */
  async onApplicationBootstrap(): Promise<void> {
    const unknown = this.registry.unknown(await this.queue.openKinds());
    if (unknown.length) {
      this.logger.warn(
        `jobs of kind ${unknown.map((kind) => `"${kind}"`).join(', ')} wait in the queue but ` +
          `no handler for them is registered in this process; they wait for a worker that has one`,
      );
    }
    // ROLE=api serves HTTP only: no claiming, no housekeeping.
    if (!this.runsLoop) return;
    this.lastTickAt = Date.now();
    const every = this.config.get('syncPollIntervalMs', { infer: true });
    this.intervals.addInterval(
      POLL_INTERVAL,
      setInterval(() => this.kick({ housekeeping: true }), every),
    );
    this.unsubscribe = this.signals.onEnqueued((kind) => this.kick({ kind }));
    this.listener.start(
      (kind) => this.kick({ kind }),
      (kind) => this.kick({ feed: kind ?? true }),
    );
    this.kick({ housekeeping: true });
  }

  /** Stop claiming; give running jobs SHUTDOWN_GRACE_MS, then release the rest to PENDING. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    await this.listener.stop();
    if (this.intervals.doesExist('interval', POLL_INTERVAL)) {
      this.intervals.deleteInterval(POLL_INTERVAL);
    }
    // A tick under way (housekeeping, a claim) finishes before the pool closes.
    await this.currentTick?.catch(() => undefined);
    const grace = this.config.get('shutdownGraceMs', { infer: true });
    // ref: false: once the jobs are done, the grace timer must not keep the process alive.
    const graceOver = sleep(grace, false, { ref: false });
    const finished = await Promise.race([this.runner.settled().then(() => true), graceOver]);
    if (finished) return;
    this.runner.stopAll();
    await this.runner.settled();
  }

  /**
   * Wants a claim for `kind` (default: every kind), and a tick to make it, unless one is
   * under way: that one goes round again. `feed`: the kind's feed runs first (every kind's
   * that has one when `feed` is true, as on every poll tick). A failing tick (database away) pauses the loop,
   * doubling from the poll interval up to a minute, and the loop resumes by itself once the
   * database answers again.
   */
  kick(options: { housekeeping?: boolean; kind?: string; feed?: string | true } = {}): void {
    if (this.stopping || Date.now() < this.pausedUntil) return;
    const kind = options.kind ?? (options.feed === true ? undefined : options.feed);
    if (kind) this.wanted.add(kind);
    else this.wantAll = true;
    if (typeof options.feed === 'string') this.feeds.add(options.feed);
    if (options.feed === true || options.housekeeping) this.wantEveryFeed();
    if (options.housekeeping) this.housekeepingDue = true;
    void this.tick();
  }

  /**
   * Claims and runs jobs until the queue has nothing due, then waits for the running ones.
   * For tests and tools that want the queue empty now rather than at the next poll.
   */
  async drain(): Promise<void> {
    await this.housekeeping();
    do {
      this.wantAll = true;
      this.wantEveryFeed();
      await this.tick();
      await this.runner.settled();
    } while (
      this.currentTick !== undefined ||
      this.runner.inFlight > 0 ||
      (await this.claimFreeSlots()).size > 0
    );
  }

  /** The tick under way, or a new one. Never rejects: a failure pauses the loop. */
  private tick(): Promise<void> {
    this.currentTick ??= this.runTick()
      .then(
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
      )
      .finally(() => {
        this.currentTick = undefined;
        // A kick that came as the loop ended is not lost: one more round.
        const wanted = this.wantAll || this.wanted.size > 0;
        if (wanted && !this.stopping && Date.now() >= this.pausedUntil) void this.tick();
      });
    return this.currentTick;
  }

  /** Housekeeping when due, then claims for the wanted kinds, until none is wanted. */
  private async runTick(): Promise<void> {
    if (this.housekeepingDue) {
      this.housekeepingDue = false;
      await this.housekeeping();
    }
    while (this.wantAll || this.wanted.size > 0) {
      await this.runFeeds();
      const kinds = this.wantAll ? undefined : new Set(this.wanted);
      this.wantAll = false;
      this.wanted.clear();
      // Kinds that got jobs may have more due, for slots still free: again.
      for (const kind of await this.claimFreeSlots(kinds)) this.wanted.add(kind);
    }
  }

  private wantEveryFeed(): void {
    for (const handler of this.registry.all()) if (handler.feed) this.feeds.add(handler.kind);
  }

  /** The feeds wanted, each once, before the claims they may have made jobs for. */
  private async runFeeds(): Promise<void> {
    for (const kind of [...this.feeds]) {
      this.feeds.delete(kind);
      await this.registry.get(kind)?.feed?.();
    }
  }

  /** Reaping and periodic syncs on every instance (both are race-free); retention on one. */
  private async housekeeping(): Promise<void> {
    await this.reaper.run();
    await this.syncSchedule.run();
    await this.retention.run();
  }

  /**
   * For each kind (of `kinds`, default all) with free slots, claims up to that many in one
   * statement, the kinds side by side; returns the kinds that got jobs.
   */
  private async claimFreeSlots(kinds?: Set<string>): Promise<Set<string>> {
    const started = new Set<string>();
    const claims = this.registry.all().map(async (handler) => {
      const lane = this.runner.lane(handler);
      const free = lane.free;
      if (this.stopping || free <= 0 || (kinds && !kinds.has(handler.kind))) return;
      const { leaseMs, perKey } = handler.settings;
      const claimed = await this.queue.claim(handler.kind, this.workerId, free, leaseMs, perKey);
      for (const job of claimed) this.runner.start(lane, job);
      if (claimed.length) started.add(handler.kind);
    });
    await Promise.all(claims);
    return started;
  }
}
