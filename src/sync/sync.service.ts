import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ProviderConfig } from '../directory/connection-config.js';
import {
  CursorExpiredError,
  ProviderError,
  type DirectoryProvider,
  type DirectoryUser,
  type UserChanges,
} from '../directory/providers/directory-provider.js';
import { ProviderRegistry } from '../directory/providers/provider-registry.js';
import { DirectoryService, type SyncTarget } from '../directory/directory.service.js';
import { EmployeeWriter, type RosterUser } from './employee-writer.js';
import { syncGroups } from './group-sync.js';
import { PREVIEW_STATEMENTS } from './group-preview.js';
import { GroupWriter } from './group-writer.js';
import type { SyncStats } from './sync-stats.js';
import { SyncOutcome } from './sync-outcome.js';
import { StageClock } from './stage-clock.js';
import { PreviewCollector } from './sync-preview.js';
import { planCycle, saveCursor, type CyclePlan } from './sync-cycle.js';

export type { SyncStats } from './sync-stats.js';

export interface SyncOptions {
  /** Skip the mass-deprovision guard for this run (an admin confirmed the loss). */
  allowMassDeprovision?: boolean;
  /**
   * Write nothing: each batch is compared with the roster in short read-only statements (no
   * transaction stays open across the provider's requests, so no row is locked and no event
   * is held back), and the stats carry a preview of who would change.
   */
  dryRun?: boolean;
}

/**
 * The run would deactivate too many people; nothing was deactivated. Not retryable. `result`:
 * what the run wrote before it stopped, with a preview of whom it would have deactivated.
 */
export class MassDeprovisionError extends Error {
  readonly retryable = false;

  constructor(
    message: string,
    readonly result?: SyncStats,
  ) {
    super(message);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const WRITE_BATCH = 1000;

/**
 * One sync run: stream the provider's pages into the roster, one set-based statement per
 * page, then deactivate whoever the directory no longer has — only if every page arrived,
 * and only within the connection's deprovision threshold.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly directory: DirectoryService,
    private readonly providers: ProviderRegistry,
    private readonly outcome: SyncOutcome,
  ) {}

  /**
   * Syncs a connection of a company and records the outcome on the connection (status,
   * last sync, last error). For callers outside the job queue; jobs record the outcome
   * together with the job's own (see SyncJobHandler.settled).
   */
  async syncConnection(
    companyId: string,
    connectionId: string,
    signal: AbortSignal,
    options: SyncOptions = {},
  ): Promise<SyncStats> {
    const target = await this.directory.loadForSync(companyId, connectionId);
    const ids = { connectionId, companyId, jobId: null };
    try {
      const stats = await this.run(target, signal, options);
      await this.outcome.record(this.dataSource, [{ ...ids, stats }]);
      return stats;
    } catch (error) {
      // A run stopped on purpose (cancelled, shutting down) did not fail.
      if (!signal.aborted) {
        await this.outcome.record(this.dataSource, [{ ...ids, error: describe(error) }]);
      }
      throw error;
    }
  }

  /**
   * One run over a loaded connection; records nothing on the connection but the change feed's
   * cursor. Incremental when it can be (see planCycle); a cursor the provider refuses turns
   * the run into a full cycle.
   */
  async run(
    target: SyncTarget,
    signal: AbortSignal,
    options: SyncOptions = {},
  ): Promise<SyncStats> {
    const provider = this.providers.get(target.type);
    const plan = planCycle(target, provider.feed, options.dryRun === true, Date.now());
    if (plan.mode === 'incremental') {
      try {
        return await this.cycle(target, provider, plan, signal, options);
      } catch (error) {
        if (!(error instanceof CursorExpiredError)) throw error;
        const reason = `the provider refused the stored cursor (${error.message}): a full cycle`;
        return this.cycle(
          target,
          provider,
          { mode: 'full', reason, feed: plan.feed },
          signal,
          options,
        );
      }
    }
    return this.cycle(target, provider, plan, signal, options);
  }

  /**
   * A full cycle streams the whole directory and deactivates whoever it no longer has; an
   * incremental one streams the change feed and deactivates only whom the feed reports gone.
   * Either way the same batches, events, guard and stats.
   */
  private async cycle(
    target: SyncTarget,
    provider: DirectoryProvider,
    plan: CyclePlan,
    signal: AbortSignal,
    options: SyncOptions,
  ): Promise<SyncStats> {
    const { companyId, connectionId, config } = target;
    const startedAt = new Date();
    const db = this.dataSource.createQueryRunner();
    const preview = options.dryRun ? new PreviewCollector(db, companyId, connectionId) : null;
    // A second connection writes every other batch: PostgreSQL writes two at once, on two
    // cores, where one statement at a time left the database half idle (docs/benchmarks.md).
    const second = preview ? null : this.dataSource.createQueryRunner();
    const gone = plan.mode === 'full' ? 'unseen' : 'reported';
    const lanes = second ? [db, second] : [db];
    const writer = new EmployeeWriter(db, companyId, connectionId, gone, lanes);
    const groupWriter = preview
      ? new GroupWriter(db, companyId, connectionId, PREVIEW_STATEMENTS)
      : new GroupWriter(db, companyId, connectionId);
    try {
      await db.connect();
      await second?.connect();
      const clock = new StageClock();
      // A full cycle's cursor is taken before it reads: what changes meanwhile is read again.
      const fullCursor =
        plan.mode === 'full' && !preview ? await plan.feed?.start(config, signal) : undefined;
      const changes =
        plan.mode === 'incremental' ? plan.feed.changes(config, plan.cursor, signal) : undefined;
      const activeBefore = await writer.activeCount();
      const stats: SyncStats = {
        fetched: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        skipped: 0,
        mode: plan.mode,
        modeReason: plan.reason,
      };
      // Pages are gathered into batches of about WRITE_BATCH users: one statement per batch
      // costs far less than one per 200-user page. One batch per lane is written while the
      // next one is fetched and gathered, so memory holds at most three batches (and a
      // prefetched page).
      const batch = new Map<string, RosterUser>();
      const writeBatch = async (users: RosterUser[]) => {
        const counts = preview ? await preview.page(users) : await writer.writePage(users);
        if (preview) await writer.seePage(users);
        if (changes) await writer.noteFeed(users, []);
        stats.created += counts.created;
        stats.updated += counts.updated;
        stats.unchanged += counts.unchanged;
      };
      const writing: Promise<void>[] = [];
      const oldestWritten = async () => {
        const oldest = writing.shift();
        if (oldest) await clock.time('waitingOnWrite', oldest);
      };
      const written = async () => {
        while (writing.length) await oldestWritten();
      };
      const flush = async () => {
        if (writing.length >= writer.lanes.length) await oldestWritten();
        const write = clock.time('write', writeBatch([...batch.values()]));
        // A failed write is thrown where it is awaited (a later flush, or below).
        write.catch(() => undefined);
        writing.push(write);
        batch.clear();
      };
      try {
        const source = changes ? changes.users() : wholeDirectory(provider, config, signal);
        for await (const page of clock.timeEach('fetch', prefetchOne(source))) {
          signal.throwIfAborted();
          stats.fetched += page.changed.length;
          stats.skipped += clock.timeSync('map', () => addToBatch(batch, page.changed));
          if (page.removed.length) {
            // In turn with the batches: the writer sets its tables up on its first statement.
            await written();
            await writer.noteFeed([], page.removed);
          }
          if (batch.size >= WRITE_BATCH) await flush();
        }
        if (batch.size) await flush();
        await written();
      } catch (error) {
        // The run's error, not the writes': but never leave a write running unwatched.
        await Promise.allSettled(writing);
        throw error;
      }
      signal.throwIfAborted();
      clock.lap();
      const rule = {
        thresholdPercent: target.deprovisionThresholdPercent,
        connectionId,
        allow: options.allowMassDeprovision === true,
        full: plan.mode === 'full',
      };
      // Counted once: the guard weighs it, and a run that misses nobody need not look again.
      // Nobody was active before: whoever is active now was seen by this run.
      const missing = activeBefore === 0 ? 0 : await writer.missingCount();
      if (preview) {
        // A dry run goes past the guard, to show what a run allowed past it would do.
        await preview.missing(writer);
        const verdict = { ...rule, allow: false };
        preview.preview.blockedBy = this.guard(missing, activeBefore, stats, verdict);
        stats.deactivated = missing;
      } else {
        const blockedBy = this.guard(missing, activeBefore, stats, rule);
        if (blockedBy !== null) {
          const stopped = new PreviewCollector(db, companyId, connectionId);
          await stopped.missing(writer);
          stopped.preview.blockedBy = blockedBy;
          throw new MassDeprovisionError(blockedBy, { ...stats, preview: stopped.preview });
        }
        stats.deactivated = missing === 0 ? 0 : await writer.deactivateMissing();
      }
      clock.lap('deprovision');
      // Groups come after the people they hold, in the same run.
      const groups = provider.openGroups(config, signal);
      const groupChanges = changes?.groups();
      if (groups && (!changes || groupChanges)) {
        const synced = syncGroups(groups, groupWriter, signal, groupChanges);
        Object.assign(stats, await clock.time('groups', synced));
      }
      const cursor = changes ? changes.next() : fullCursor;
      if (cursor) await saveCursor(db, target, plan.mode, cursor, startedAt);
      stats.timings = clock.timings();
      this.logger.debug(`connection ${connectionId} synced: ${JSON.stringify(stats)}`);
      return preview ? { ...stats, preview: preview.preview } : stats;
    } finally {
      await writer.end().catch(() => undefined);
      await groupWriter.end().catch(() => undefined);
      await db.release();
      await second?.release();
    }
  }

  /**
   * Why the guard stops this run's deactivations of `missing` people; null when it lets them
   * through.
   */
  private guard(
    missing: number,
    activeBefore: number,
    stats: SyncStats,
    rule: { thresholdPercent: number; connectionId: string; allow: boolean; full: boolean },
  ): string | null {
    if (rule.allow || missing === 0) return null;
    const howToAllow =
      `to deactivate them anyway, run the sync once with {"allowMassDeprovision": true} ` +
      `(POST /api/directory/${rule.connectionId}/sync)`;
    if (rule.full && stats.fetched === 0) {
      return (
        `the directory returned no users while ${missing} employees are active; ` +
        `nothing was deactivated; ${howToAllow}`
      );
    }
    const percent = (missing / Math.max(activeBefore, 1)) * 100;
    if (percent <= rule.thresholdPercent) return null;
    return (
      `this sync would deactivate ${missing} of ${activeBefore} active employees ` +
      `(${percent.toFixed(1)} %, above the ${rule.thresholdPercent} % threshold); ` +
      `nothing was deactivated; ${howToAllow}`
    );
  }
}

/**
 * Adds a page's usable users to the batch (trimmed, lower-cased, one per email: a later
 * duplicate is skipped); returns how many were skipped.
 */
function addToBatch(batch: Map<string, RosterUser>, page: DirectoryUser[]): number {
  let skipped = 0;
  for (const user of page) {
    const email = typeof user?.email === 'string' ? user.email.trim().toLowerCase() : '';
    if (!EMAIL.test(email) || email.length > 320 || batch.has(email)) {
      skipped++;
      continue;
    }
    batch.set(email, {
      email,
      externalId: user.externalId || null,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      department: user.department ?? null,
      title: user.title ?? null,
      active: user.active === true,
      mfaEnabled: user.mfaEnabled ?? null,
    });
  }
  return skipped;
}

/** A full cycle's pages, in the change feed's shape: everyone listed, nobody reported removed. */
async function* wholeDirectory(
  provider: DirectoryProvider,
  config: ProviderConfig,
  signal: AbortSignal,
): AsyncIterable<UserChanges> {
  for await (const changed of provider.pages(config, signal)) yield { changed, removed: [] };
}

/**
 * Fetches the next page while the current one is written: the two overlap, and at most two
 * pages are in memory.
 */
async function* prefetchOne<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = iterator.next();
      // A rejection of the prefetch is seen when it is awaited; never unhandled meanwhile.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await iterator.return?.();
  }
}

export function describe(error: unknown): string {
  if (error instanceof ProviderError || error instanceof MassDeprovisionError) return error.message;
  return `sync failed: ${error instanceof Error ? error.message : String(error)}`;
}
