import { performance } from 'node:perf_hooks';
import type { Client, Entry } from 'ldapts';
import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { LdapConfig } from '../dto/provider-configs.js';
import {
  CursorExpiredError,
  type ChangeFeed,
  type ChangeSet,
  type FeedCursor,
  type GroupChanges,
  type UserChanges,
} from './directory-provider.js';
import type { IdleSession } from './idle-session.js';
import {
  classify,
  ldapSession,
  pagedSearch,
  text,
  toDirectoryUser,
  userAttributes,
  userFilter,
  userSearchAttributes,
} from './ldap-entries.js';
import { groupListing } from './ldap-groups.js';
import { generalizedTime, parseGeneralizedTime } from './ldap-time.js';

/**
 * How far back of the time it was computed from a cursor starts: whatever changed in the
 * last five minutes before it is read again. This covers an entry stamped a moment before
 * it became visible (a server takes an operation's time when it starts, shows the entry
 * when it commits), a replica that applies a change later than the change's own stamp
 * (OpenLDAP replicates modifyTimestamp), and the one-second resolution of the stamps.
 */
export const OVERLAP_MS = 5 * 60_000;
/**
 * How far the directory's clock may be from ours, in either direction (a day covers a
 * server set to local time while it believes it keeps UTC). Used only where the server does
 * not tell its time: see resumeTime.
 */
export const SKEW_TOLERANCE_MS = 24 * 3_600_000;

/** Active Directory (AD DS and AD LDS) lists one of these in its rootDSE's supportedCapabilities. */
const AD_CAPABILITIES = ['1.2.840.113556.1.4.800', '1.2.840.113556.1.4.1851'];
/** A filter clause on group membership: `(memberOf=…)`, `(isMemberOf=…)`, `(memberOf:…:=…)`. */
const MEMBERSHIP_CLAUSE = /\(\s*(is)?memberOf\s*[:~<>=]/i;

/** What the rootDSE tells of how the directory dates its changes. */
export interface DirectoryClock {
  /**
   * The attribute stamped with an entry's last change: modifyTimestamp (RFC 4512), or AD's
   * whenChanged (AD's modifyTimeStamp is constructed from it and cannot be filtered on).
   */
  attribute: 'modifyTimestamp' | 'whenChanged';
  /** How a time is written in a filter on it: AD writes `.0Z`, others `Z`. */
  fraction: string;
  /** The server's own clock (AD's rootDSE `currentTime`), when it tells it. */
  serverTime?: number;
}

/**
 * The change feed of LDAP and Active Directory: the entries whose modifyTimestamp (AD:
 * whenChanged) is at or after the cursor's time, read with the connection's user and group
 * filters. LDAP shows no deletions (an entry just vanishes; AD's tombstones need rights a
 * sync account should not have): `removed` is always empty, and only a full cycle sees who
 * left.
 *
 * The cursor's time is the directory's, never ours, so that a clock difference between us
 * and the server loses nothing (see resumeTime).
 */
export class LdapChangeFeed implements ChangeFeed {
  constructor(private readonly connect: (config: LdapConfig) => Client) {}

  unsupported(raw: ProviderConfig): string | undefined {
    const config = raw as unknown as LdapConfig;
    if (MEMBERSHIP_CLAUSE.test(userFilter(config))) {
      // Joining a group changes the group's entry, not the person's (AD's memberOf is a
      // back link): an incremental cycle would not see who entered the filter.
      return (
        'the user filter selects by group membership (memberOf), which changes without ' +
        "changing the person's entry: only full cycles see who joins"
      );
    }
    return undefined;
  }

  async start(raw: ProviderConfig, signal: AbortSignal): Promise<FeedCursor> {
    const config = raw as unknown as LdapConfig;
    const client = this.connect(config);
    try {
      await client.bind(config.bindDN, config.bindPassword).catch(classify);
      const clock = await readClock(client);
      signal.throwIfAborted();
      return cursorAt(resumeTime({ since: Date.now() - SKEW_TOLERANCE_MS, clock }));
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  changes(raw: ProviderConfig, cursor: FeedCursor, signal: AbortSignal): ChangeSet {
    const config = raw as unknown as LdapConfig;
    const since = parseGeneralizedTime(cursor.changedSince);
    if (since === undefined) {
      throw new CursorExpiredError(`the LDAP cursor ${JSON.stringify(cursor)} has no time`);
    }
    const session = ldapSession(config, () => this.connect(config), signal);
    return new LdapChangeSet(config, syncsGroups(raw), since, session, signal);
  }
}

interface LdapSearch {
  filter: string;
  attributes: string[];
}

/** One incremental cycle's reading: users, then groups, on one bound connection. */
class LdapChangeSet implements ChangeSet {
  private clock?: Promise<DirectoryClock>;
  private clockRead?: DirectoryClock;
  /** performance.now() before the first read: how long the reading has lasted since. */
  private startedAt?: number;
  /** The latest change stamp seen that can be trusted as a lower bound of the server's time. */
  private latest?: number;

  constructor(
    private readonly config: LdapConfig,
    private readonly withGroups: boolean,
    private readonly since: number,
    private readonly session: IdleSession<Client>,
    private readonly signal: AbortSignal,
  ) {}

  async *users(): AsyncIterable<UserChanges> {
    const names = userAttributes(this.config);
    const search: LdapSearch = {
      filter: userFilter(this.config),
      attributes: userSearchAttributes(names),
    };
    for await (const entries of this.read(this.config.baseDN, search)) {
      yield { changed: entries.map((entry) => toDirectoryUser(entry, names)), removed: [] };
    }
  }

  groups(): AsyncIterable<GroupChanges> | undefined {
    return this.withGroups ? this.changedGroups() : undefined;
  }

  next(): FeedCursor {
    const elapsedMs = this.startedAt === undefined ? 0 : performance.now() - this.startedAt;
    if (!this.clockRead) return cursorAt(this.since);
    return cursorAt(
      resumeTime({ since: this.since, clock: this.clockRead, latest: this.latest, elapsedMs }),
    );
  }

  private async *changedGroups(): AsyncIterable<GroupChanges> {
    const listing = groupListing(this.config);
    const search = { filter: listing.filter, attributes: listing.attributes };
    for await (const entries of this.read(listing.base, search)) {
      yield { changed: entries.map(listing.toGroup), removed: [] };
    }
  }

  private read(base: string, search: LdapSearch): AsyncIterable<Entry[]> {
    return this.session.stream((client) => this.changedEntries(client, base, search));
  }

  /** The entries under `base` matching the search's filter that changed since the cursor. */
  private async *changedEntries(
    client: Client,
    base: string,
    search: LdapSearch,
  ): AsyncIterable<Entry[]> {
    this.startedAt ??= performance.now();
    this.clock ??= readClock(client);
    const clock = (this.clockRead = await this.clock);
    const since = generalizedTime(this.since, clock.fraction);
    const changed = {
      filter: `(&${search.filter}(${clock.attribute}>=${since}))`,
      attributes: [...search.attributes, clock.attribute],
    };
    for await (const entries of pagedSearch(client, base, changed, this.signal)) {
      for (const entry of entries) this.saw(parseGeneralizedTime(text(entry[clock.attribute])));
      if (entries.length) yield entries;
    }
  }

  private saw(stamp: number | undefined): void {
    // A stamp further ahead of our clock than any plausible skew (an entry written while a
    // server's clock ran wild) would carry the cursor past changes still to come.
    if (stamp === undefined || stamp > Date.now() + SKEW_TOLERANCE_MS) return;
    if (this.latest === undefined || stamp > this.latest) this.latest = stamp;
  }
}

/**
 * The time the next cycle reads from, on the directory's clock, so that no change made after
 * this reading started is missed whatever the difference between our clock and the server's:
 * - the server's own time when it tells it (AD's rootDSE `currentTime`), read before the
 *   searches, less OVERLAP_MS;
 * - otherwise (OpenLDAP has no such attribute) the latest change stamp the reading saw, less
 *   how long the reading lasted (measured on our monotonic clock: a skew between clocks is
 *   an offset, it does not stretch durations), less OVERLAP_MS. A stamp is never later than
 *   the server's time when the entry was read, so this is never later than the server's time
 *   when the reading started; a change the paged search passed by has a later stamp.
 *   Nothing seen: `since` stays, nothing between it and now having changed.
 * `since` for start() is our clock less SKEW_TOLERANCE_MS: the first incremental cycle after
 * a full one reads again up to a day of changes, once, and then resumes from the server's
 * stamps.
 */
export function resumeTime(reading: {
  since: number;
  clock: DirectoryClock;
  latest?: number;
  elapsedMs?: number;
}): number {
  const { since, clock, latest, elapsedMs = 0 } = reading;
  if (clock.serverTime !== undefined) return clock.serverTime - OVERLAP_MS;
  if (latest === undefined) return since;
  return latest - elapsedMs - OVERLAP_MS;
}

/** The rootDSE: whether the server is Active Directory, and its time when it tells it. */
async function readClock(client: Client): Promise<DirectoryClock> {
  const { searchEntries } = await client
    .search('', {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['supportedCapabilities', 'currentTime'],
    })
    .catch(classify);
  const root = searchEntries[0] ?? { dn: '' };
  const capabilities = [root.supportedCapabilities ?? []].flat().map(String);
  const serverTime = parseGeneralizedTime(text(root.currentTime));
  const activeDirectory = AD_CAPABILITIES.some((oid) => capabilities.includes(oid));
  return {
    attribute: activeDirectory ? 'whenChanged' : 'modifyTimestamp',
    fraction: activeDirectory ? '.0' : '',
    ...(serverTime === undefined ? {} : { serverTime }),
  };
}

function cursorAt(time: number): FeedCursor {
  return { changedSince: generalizedTime(time) };
}
