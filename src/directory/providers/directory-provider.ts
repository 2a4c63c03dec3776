import type { ProviderConfig } from '../connection-config.js';
import type { ConnectionType } from '../connection-types.js';

/** One person as a directory describes them, before normalisation. */
export interface DirectoryUser {
  externalId: string;
  /** Raw; the engine trims and lower-cases it and skips the user if it is not an address. */
  email: string | undefined;
  firstName?: string;
  lastName?: string;
  /** undefined: not sent (kept as is); '': explicitly empty (cleared). */
  department?: string;
  title?: string;
  active: boolean;
  mfaEnabled?: boolean;
}

/** One group as a directory describes it. */
export interface DirectoryGroup {
  /** The directory's own id of the group, stable across renames. */
  externalId: string;
  name: string;
  /** undefined: the group has no description. */
  description?: string;
}

/** A connection's groups, streamed a page at a time (memory bounded by the page). */
export interface GroupReader {
  /** Every group the connection's group filter selects. */
  groups(): AsyncIterable<DirectoryGroup[]>;
  /**
   * The externalIds (the same ids as DirectoryUser.externalId) of the users in one group.
   * A list that fails half-way throws: the caller must not take a partial list as complete.
   */
  members(group: DirectoryGroup): AsyncIterable<string[]>;
}

export interface ConnectionTestResult {
  ok: boolean;
  userCount?: number;
  /** Groups on the provider's first page of groups, when the connection syncs groups. */
  groupCount?: number;
  error?: string;
}

/**
 * Where a change feed stands: opaque to the engine, which stores it per connection (JSON, not
 * secret, never shown) and hands it back on the next incremental cycle. For example Graph's
 * deltaLinks, or the time an Okta or LDAP cycle may resume from.
 */
export type FeedCursor = Record<string, string>;

/** Users that changed since a cursor, a page at a time. */
export interface UserChanges {
  /** Created or changed users, whole, as `pages` describes them (inactive ones included). */
  changed: DirectoryUser[];
  /** externalIds of users the directory reports removed (deleted or moved out of scope). */
  removed: string[];
}

/** Groups that changed since a cursor, a page at a time. */
export interface GroupChanges {
  /**
   * Groups created, renamed or whose membership changed: the engine re-reads each one's whole
   * member list with the connection's GroupReader.
   */
  changed: DirectoryGroup[];
  /** externalIds of groups the directory reports deleted. */
  removed: string[];
}

/** One incremental cycle's reading: consume `users`, then `groups`, then ask for `next`. */
export interface ChangeSet {
  users(): AsyncIterable<UserChanges>;
  /** undefined when the connection does not sync groups. */
  groups(): AsyncIterable<GroupChanges> | undefined;
  /** Where the next cycle starts; only once both iterables were read to their end. */
  next(): FeedCursor;
}

/**
 * A provider's change feed. A full cycle takes `start` before it reads anything (a change
 * made during the full cycle is read again by the next incremental one: writes are
 * idempotent); an incremental cycle reads `changes` since the stored cursor.
 */
export interface ChangeFeed {
  /**
   * Why this connection's config cannot use the feed (e.g. a filter the feed cannot apply);
   * undefined when it can.
   */
  unsupported(config: ProviderConfig): string | undefined;
  start(config: ProviderConfig, signal: AbortSignal): Promise<FeedCursor>;
  /** Throws CursorExpiredError when the provider refuses the cursor: a full cycle follows. */
  changes(config: ProviderConfig, cursor: FeedCursor, signal: AbortSignal): ChangeSet;
}

/** The provider no longer accepts the cursor (e.g. Graph's 410 on an old deltaLink). */
export class CursorExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorExpiredError';
  }
}

/**
 * A directory of one connection type. `pages` streams the whole directory one page at a
 * time: the engine writes a page before it asks for the next, so memory stays bounded by
 * the page size whatever the directory's size.
 */
export interface DirectoryProvider {
  readonly type: ConnectionType;
  pages(config: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]>;
  test(config: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult>;
  /**
   * The connection's groups, read with the same credentials; undefined when the connection's
   * config has `syncGroups: false`.
   */
  openGroups(config: ProviderConfig, signal: AbortSignal): GroupReader | undefined;
  /** The directory's change feed, when it has one (Entra ID, Okta, LDAP); else full cycles. */
  readonly feed?: ChangeFeed;
}

/**
 * How a provider failure should be handled by whoever retries:
 * - `auth`: credentials refused (401/403, bad secret) — retrying will not help;
 * - `config`: the configuration is wrong (unknown org, bad URL) — nor will it;
 * - `transient`: network, 5xx, throttling — retry later.
 */
export type ProviderErrorKind = 'auth' | 'config' | 'transient';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /** For throttling: the provider said not to come back before this many ms. */
    readonly retryAfterMs?: number,
    /** The HTTP status of a refused request (4xx), when the provider answered with one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}
