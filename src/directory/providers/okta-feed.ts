import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { OktaConfig } from '../dto/provider-configs.js';
import {
  CursorExpiredError,
  type ChangeFeed,
  type ChangeSet,
  type FeedCursor,
  type GroupChanges,
  type UserChanges,
} from './directory-provider.js';
import {
  GROUP_PAGE_SIZE,
  nextLink,
  USER_PAGE_SIZE,
  toDirectoryGroup,
  toDirectoryUser,
  type OktaApi,
  type OktaPage,
} from './okta-api.js';

/**
 * How far before a cycle's start the next one resumes. Okta stamps `lastUpdated` with its own
 * servers' clock, a change committed while a cycle reads may carry a time just before the
 * cycle's start, `gt` drops a time equal to the cursor, and `search` reads a replicated store
 * that lags behind the writes by seconds: five minutes covers all of these, at the cost of
 * reading again (idempotently) what changed in the last five minutes.
 */
export const OVERLAP_MS = 5 * 60_000;

/** Okta's `search` answers at most this many results; the `next` link past them fails. */
export const SEARCH_RESULT_CAP = 50_000;

/**
 * Okta's change feed: `search=lastUpdated gt "<since>"` on users (every status, DEPROVISIONED
 * included, unlike the plain listing) and `lastUpdated`/`lastMembershipUpdated` on groups.
 * The cursor is `{ since }`, an ISO time on Okta's clock (its `Date` header; ours only when
 * the answer has none). Deletions are not visible: Okta forgets a deleted user or group,
 * and a user is deprovisioned (seen here, inactive) before it can be deleted; a deleted group
 * is caught by the next full cycle.
 */
export class OktaChangeFeed implements ChangeFeed {
  constructor(
    private readonly api: OktaApi,
    /** Used only when Okta's answer carries no `Date` header. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Always usable: an Okta connection has no user filter, and its groupFilter combines. */
  unsupported(): undefined {
    return undefined;
  }

  /** One user asked for: the cheapest answer that carries Okta's clock. */
  async start(config: ProviderConfig, signal: AbortSignal): Promise<FeedCursor> {
    const page = await this.api.page(config, '/api/v1/users?limit=1', signal);
    return cursorAt(this.clockOf(page));
  }

  changes(config: ProviderConfig, cursor: FeedCursor, signal: AbortSignal): ChangeSet {
    return new OktaChangeSet(this, config, sinceOf(cursor), signal);
  }

  /** Every page of an Okta `search`, refusing to go past what Okta can answer. */
  async *search(
    config: ProviderConfig,
    path: string,
    pageSize: number,
    expression: string,
    signal: AbortSignal,
  ): AsyncIterable<OktaPage> {
    const query = new URLSearchParams({ limit: String(pageSize), search: expression });
    let read = 0;
    for await (const page of this.api.list(config, `${path}?${query.toString()}`, signal)) {
      yield page;
      read += page.items.length;
      if (read >= SEARCH_RESULT_CAP && nextLink(page.headers.link)) {
        throw new CursorExpiredError(
          `more than ${SEARCH_RESULT_CAP} changes in Okta since the last cycle: ` +
            'a full cycle reads them',
        );
      }
    }
  }

  /** The time Okta answered, to the second (rounded down: the safe side). */
  clockOf(page: OktaPage): number {
    const header = page.headers.date;
    const date = Date.parse((Array.isArray(header) ? header[0] : header) ?? '');
    return Number.isNaN(date) ? this.now() : date;
  }
}

/** One incremental cycle's reading, since one cursor. */
class OktaChangeSet implements ChangeSet {
  /** Okta's time when the users' search first answered: where the next cycle resumes. */
  private startedAt?: number;

  constructor(
    private readonly feed: OktaChangeFeed,
    private readonly config: ProviderConfig,
    private readonly since: string,
    private readonly signal: AbortSignal,
  ) {}

  async *users(): AsyncIterable<UserChanges> {
    const expression = `lastUpdated gt "${this.since}"`;
    const pages = this.feed.search(
      this.config,
      '/api/v1/users',
      USER_PAGE_SIZE,
      expression,
      this.signal,
    );
    for await (const page of pages) {
      this.startedAt ??= this.feed.clockOf(page);
      yield { changed: page.items.map(toDirectoryUser), removed: [] };
    }
  }

  groups(): AsyncIterable<GroupChanges> | undefined {
    if (!syncsGroups(this.config)) return undefined;
    const changed = `lastUpdated gt "${this.since}" or lastMembershipUpdated gt "${this.since}"`;
    const { groupFilter } = this.config as unknown as OktaConfig;
    // Parenthesised: the connection's filter may have an `or` of its own.
    const expression = groupFilter ? `(${groupFilter}) and (${changed})` : changed;
    return this.groupPages(expression);
  }

  next(): FeedCursor {
    if (this.startedAt === undefined) throw new Error('next() asked before users() was read');
    return cursorAt(this.startedAt);
  }

  private async *groupPages(expression: string): AsyncIterable<GroupChanges> {
    const pages = this.feed.search(
      this.config,
      '/api/v1/groups',
      GROUP_PAGE_SIZE,
      expression,
      this.signal,
    );
    for await (const page of pages)
      yield { changed: page.items.map(toDirectoryGroup), removed: [] };
  }
}

function cursorAt(startedAt: number): FeedCursor {
  return { since: new Date(startedAt - OVERLAP_MS).toISOString() };
}

/**
 * The cursor's time, exactly as `cursorAt` writes it (Okta's own format). Anything else —
 * a cursor from another provider's feed, or a corrupted one — cannot be resumed from.
 */
function sinceOf(cursor: FeedCursor): string {
  const since = cursor.since;
  const time = typeof since === 'string' ? Date.parse(since) : NaN;
  if (Number.isNaN(time) || new Date(time).toISOString() !== since) {
    throw new CursorExpiredError('the Okta cursor has no valid `since` time');
  }
  return since;
}
