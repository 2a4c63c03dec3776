import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { EntraIdConfig } from '../dto/provider-configs.js';
import {
  CursorExpiredError,
  ProviderError,
  type ChangeFeed,
  type ChangeSet,
  type DirectoryGroup,
  type FeedCursor,
  type GroupChanges,
  type UserChanges,
} from './directory-provider.js';
import {
  graphBase,
  GROUP_SELECT,
  GROUPS,
  PAGE_SIZE,
  toDirectoryUser,
  USER_SELECT,
  USERS,
  type Collection,
  type GraphGroup,
  type GraphPage,
  type GraphUser,
} from './entra-graph.js';
import { directoryGroup, idText } from './group-pages.js';
import type { JsonRequest } from './provider-http-client.js';

/** Reads a Graph list from an absolute URL, page by page, on the configured Graph host. */
export type GraphLister = (
  config: ProviderConfig,
  url: string,
  what: Collection,
  signal: AbortSignal,
  classifyError?: JsonRequest['classifyError'],
) => AsyncIterable<GraphPage>;

/**
 * `members` is selected so that a change of a group's members marks the group changed
 * (`members@delta`); without it, groups/delta reports only the group's own properties.
 */
const GROUP_DELTA_SELECT = `${GROUP_SELECT},members`;
/** The error codes Graph answers an expired or unusable delta link with (400 or 410). */
const EXPIRED_CODES = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

/**
 * Entra ID's change feed: Graph delta queries. `start` asks `/users/delta` (and `/groups/delta`
 * when groups are synced) for `$deltatoken=latest`, a deltaLink marking "now" without reading
 * the directory; `changes` follows the stored deltaLinks through their `@odata.nextLink` pages
 * to new deltaLinks. An entry with `@removed` left our scope (deleted, or, with reason
 * `changed`, soft-deleted): either way the person or group is gone from the directory we read.
 */
export class EntraDeltaFeed implements ChangeFeed {
  constructor(private readonly list: GraphLister) {}

  unsupported(raw: ProviderConfig): string | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as EntraIdConfig;
    if (config.groupFilter) {
      return 'groupFilter is set: Graph group delta queries cannot apply a $filter on names';
    }
    return undefined;
  }

  async start(raw: ProviderConfig, signal: AbortSignal): Promise<FeedCursor> {
    const base = graphBase(raw);
    const latest = (path: string, select: string, what: Collection) =>
      drain(this.delta(raw, `${base}${path}?$deltatoken=latest&$select=${select}`, what, signal));
    const cursor: FeedCursor = { users: await latest('/v1.0/users/delta', USER_SELECT, USERS) };
    if (syncsGroups(raw)) {
      cursor.groups = await latest('/v1.0/groups/delta', GROUP_DELTA_SELECT, GROUPS);
    }
    return cursor;
  }

  changes(raw: ProviderConfig, cursor: FeedCursor, signal: AbortSignal): ChangeSet {
    const next: FeedCursor = {};
    const since = (name: string, what: Collection) => this.since(raw, cursor, name, what, signal);
    const done = (name: string) => (deltaLink: string) => void (next[name] = deltaLink);
    return {
      users: () => userChanges(since('users', USERS), done('users')),
      groups: () => {
        if (!syncsGroups(raw)) return undefined;
        const flatten = (raw as unknown as EntraIdConfig).flattenNestedGroups === true;
        const ancestors = (id: string) => this.ancestors(raw, id, signal);
        return groupChanges(
          since('groups', GROUPS),
          done('groups'),
          flatten ? ancestors : undefined,
        );
      },
      next: () => {
        const names = syncsGroups(raw) ? ['users', 'groups'] : ['users'];
        if (names.some((name) => !next[name])) {
          throw new Error('the change feed was asked where it stands before it was read');
        }
        return next;
      },
    };
  }

  /** The changes since the cursor's `name` deltaLink; checked only once the stream is read. */
  private async *since(
    raw: ProviderConfig,
    cursor: FeedCursor,
    name: string,
    what: Collection,
    signal: AbortSignal,
  ): AsyncGenerator<unknown[], string> {
    const link = storedLink(cursor, name, new URL(graphBase(raw)).origin);
    return yield* this.delta(raw, link, what, signal, expiredDeltaLink);
  }

  /**
   * The groups a group is nested in, at any depth: their flattened members change with its
   * own, though Graph's feed reports only the group whose direct members changed. A group
   * deleted since has none to tell (its parents' `members@delta` report it removed).
   */
  private async *ancestors(
    raw: ProviderConfig,
    id: string,
    signal: AbortSignal,
  ): AsyncIterable<DirectoryGroup[]> {
    const path = `/v1.0/groups/${encodeURIComponent(id)}/transitiveMemberOf/microsoft.graph.group`;
    const url = `${graphBase(raw)}${path}?$select=${GROUP_SELECT}&$top=${PAGE_SIZE}`;
    try {
      for await (const page of this.list(raw, url, GROUPS, signal)) {
        yield (page.value as GraphGroup[]).map((g) =>
          directoryGroup(g.id, g.displayName, g.description),
        );
      }
    } catch (error) {
      if (!(error instanceof ProviderError) || error.status !== 404) throw error;
    }
  }

  /** A delta query followed to its end: each page's entries, then its new deltaLink. */
  private async *delta(
    raw: ProviderConfig,
    url: string,
    what: Collection,
    signal: AbortSignal,
    classifyError?: JsonRequest['classifyError'],
  ): AsyncGenerator<unknown[], string> {
    let deltaLink: string | undefined;
    for await (const page of this.list(raw, url, what, signal, classifyError)) {
      if (page.value.length) yield page.value;
      deltaLink = page.deltaLink;
    }
    if (!deltaLink) {
      throw new ProviderError(
        'transient',
        `Microsoft Graph ended a ${what.noun} delta query without an @odata.deltaLink`,
      );
    }
    // Stored, it would be followed next cycle: refused now, like a nextLink elsewhere.
    const origin = new URL(graphBase(raw)).origin;
    if (originOf(deltaLink) !== origin) {
      throw new ProviderError(
        'config',
        `Microsoft Graph pointed to ${originOf(deltaLink)}, outside the configured ${origin}`,
      );
    }
    return deltaLink;
  }
}

/** Users changed and removed, a delta page at a time; `done` gets the new deltaLink. */
async function* userChanges(
  entries: AsyncGenerator<unknown[], string>,
  done: (deltaLink: string) => void,
): AsyncIterable<UserChanges> {
  for (let step = await entries.next(); ; step = await entries.next()) {
    if (step.done) return done(step.value);
    const page: UserChanges = { changed: [], removed: [] };
    for (const entry of step.value as (GraphUser & Removable)[]) {
      if (isRemoved(entry)) page.removed.push(idText(entry.id));
      else page.changed.push(toDirectoryUser(entry));
    }
    yield page;
  }
}

/**
 * Groups changed and removed, in one page at the end (with `ancestors`, flattened nesting:
 * the groups the changed ones are nested in, too): Graph repeats a group whose member
 * changes span several pages (the repeats may carry only `members@delta`), so a group is
 * known changed or removed only once every page was read. An incremental cycle's changed
 * groups are few; each is kept once, by id, with the last properties Graph sent for it.
 */
async function* groupChanges(
  entries: AsyncGenerator<unknown[], string>,
  done: (deltaLink: string) => void,
  ancestors?: (id: string) => AsyncIterable<DirectoryGroup[]>,
): AsyncIterable<GroupChanges> {
  const changed = new Map<string, DirectoryGroup>();
  const removed = new Set<string>();
  for (let step = await entries.next(); ; step = await entries.next()) {
    if (step.done) {
      done(step.value);
      break;
    }
    for (const entry of step.value as (GraphGroup & Removable)[]) {
      const id = idText(entry.id);
      if (isRemoved(entry)) {
        changed.delete(id);
        removed.add(id);
        continue;
      }
      removed.delete(id);
      const known = changed.get(id);
      const described = !known || 'displayName' in entry;
      if (described) changed.set(id, directoryGroup(id, entry.displayName, entry.description));
    }
  }
  if (ancestors) {
    for (const id of [...changed.keys()]) {
      for await (const page of ancestors(id)) {
        for (const group of page) {
          const known = changed.has(group.externalId) || removed.has(group.externalId);
          if (!known) changed.set(group.externalId, group);
        }
      }
    }
  }
  if (changed.size || removed.size) yield { changed: [...changed.values()], removed: [...removed] };
}

interface Removable {
  '@removed'?: unknown;
}

function isRemoved(entry: Removable): boolean {
  return typeof entry === 'object' && entry !== null && entry['@removed'] !== undefined;
}

/** Reads a generator to its end, for its return value. */
async function drain<R>(generator: AsyncGenerator<unknown, R>): Promise<R> {
  for (let step = await generator.next(); ; step = await generator.next()) {
    if (step.done) return step.value;
  }
}

/**
 * The deltaLink a cursor stored. One missing (groups synced since the cursor was taken) or on
 * another host than the connection's Graph (`graphBaseUrl` changed since) cannot be followed:
 * a full cycle takes a new cursor.
 */
function storedLink(cursor: FeedCursor, name: string, origin: string): string {
  const link = cursor[name];
  if (!link) throw new CursorExpiredError(`the cursor holds no ${name} deltaLink`);
  if (originOf(link) !== origin) {
    throw new CursorExpiredError(`the ${name} deltaLink is not on the configured ${origin}`);
  }
  return link;
}

/**
 * Graph's refusal of a deltaLink it no longer keeps: 410 Gone, or 400 `syncStateNotFound`
 * (identity resources' links last 7 days). Thrown from the HTTP client's error hook, so
 * neither retried nor taken for a configuration error.
 */
function expiredDeltaLink(status: number, body: unknown): undefined {
  const code = graphErrorCode(body);
  if (status === 410 || (status === 400 && EXPIRED_CODES.has(code?.toLowerCase() ?? ''))) {
    throw new CursorExpiredError(
      `Microsoft Graph no longer accepts the delta link (${status}${code ? ` ${code}` : ''})`,
    );
  }
  return undefined;
}

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : 'an invalid URL';
}

function graphErrorCode(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}
