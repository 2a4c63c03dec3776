import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProviderError, type DirectoryUser } from '../directory/providers/directory-provider.js';
import { ProviderRegistry } from '../directory/providers/provider-registry.js';
import { DirectoryService } from '../directory/directory.service.js';
import { EmployeeWriter, type RosterUser } from './employee-writer.js';

export interface SyncStats {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
}

export interface SyncOptions {
  /** Skip the mass-deprovision guard for this run (an admin confirmed the loss). */
  allowMassDeprovision?: boolean;
}

/** The run would deactivate too many people; nothing was deactivated. Not retryable. */
export class MassDeprovisionError extends Error {
  readonly retryable = false;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

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
  ) {}

  async run(
    companyId: string,
    connectionId: string,
    signal: AbortSignal,
    options: SyncOptions = {},
  ): Promise<SyncStats> {
    const connection = await this.directory.loadForSync(companyId, connectionId);
    const provider = this.providers.get(connection.type);
    const db = this.dataSource.createQueryRunner();
    const writer = new EmployeeWriter(db, companyId, connectionId);
    try {
      await db.connect();
      await writer.begin();
      const activeBefore = await writer.activeCount();
      const stats: SyncStats = {
        fetched: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        skipped: 0,
      };
      for await (const page of prefetchOne(provider.pages(connection.config, signal))) {
        signal.throwIfAborted();
        const { users, skipped } = normalisePage(page);
        stats.fetched += page.length;
        stats.skipped += skipped;
        if (users.length) {
          const counts = await writer.writePage(users);
          stats.created += counts.created;
          stats.updated += counts.updated;
          stats.unchanged += counts.unchanged;
        }
      }
      signal.throwIfAborted();
      stats.deactivated = await this.deprovision(writer, activeBefore, stats, {
        thresholdPercent: connection.deprovisionThresholdPercent,
        connectionId,
        allow: options.allowMassDeprovision === true,
      });
      await writer.end();
      await this.directory.recordSyncSuccess(connectionId, stats.fetched - stats.skipped);
      this.logger.log(`connection ${connectionId} synced: ${JSON.stringify(stats)}`);
      return stats;
    } catch (error) {
      await this.directory.recordSyncFailure(connectionId, describe(error));
      throw error;
    } finally {
      await db.release();
    }
  }

  private async deprovision(
    writer: EmployeeWriter,
    activeBefore: number,
    stats: SyncStats,
    rule: { thresholdPercent: number; connectionId: string; allow: boolean },
  ): Promise<number> {
    const missing = await writer.missingCount();
    if (missing === 0) return 0;
    if (!rule.allow) {
      const howToAllow =
        `to deactivate them anyway, run the sync once with {"allowMassDeprovision": true} ` +
        `(POST /api/directory/${rule.connectionId}/sync)`;
      if (stats.fetched === 0) {
        throw new MassDeprovisionError(
          `the directory returned no users while ${missing} employees are active; ` +
            `nothing was deactivated; ${howToAllow}`,
        );
      }
      const percent = (missing / Math.max(activeBefore, 1)) * 100;
      if (percent > rule.thresholdPercent) {
        throw new MassDeprovisionError(
          `this sync would deactivate ${missing} of ${activeBefore} active employees ` +
            `(${percent.toFixed(1)} %, above the ${rule.thresholdPercent} % threshold); ` +
            `nothing was deactivated; ${howToAllow}`,
        );
      }
    }
    return writer.deactivateMissing();
  }
}

/** Usable users of a page (trimmed, lower-cased, one per email); the rest are skipped. */
function normalisePage(page: DirectoryUser[]): { users: RosterUser[]; skipped: number } {
  const byEmail = new Map<string, RosterUser>();
  let skipped = 0;
  for (const user of page) {
    const email = typeof user?.email === 'string' ? user.email.trim().toLowerCase() : '';
    if (!EMAIL.test(email) || email.length > 320 || byEmail.has(email)) {
      skipped++;
      continue;
    }
    byEmail.set(email, {
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
  return { users: [...byEmail.values()], skipped };
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

function describe(error: unknown): string {
  if (error instanceof ProviderError || error instanceof MassDeprovisionError) return error.message;
  if ((error as Error)?.name === 'AbortError') return 'the sync was aborted';
  return `sync failed: ${error instanceof Error ? error.message : String(error)}`;
}
