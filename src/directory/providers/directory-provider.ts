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
