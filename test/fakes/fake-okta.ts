import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A user as Okta's Users API returns it (the fields we read). */
export interface OktaUserJson {
  id: string;
  status: string;
  /** When Okta last changed the user (ISO time, its own clock): what `search` compares. */
  lastUpdated?: string;
  profile: Record<string, string | null>;
}

/** A group as Okta's Groups API returns it (the fields we read). */
export interface OktaGroupJson {
  id: string;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  /** When its profile last changed (ISO time). */
  lastUpdated?: string;
  /** When a member was last added or removed (ISO time). */
  lastMembershipUpdated?: string;
  profile: { name: string; description: string | null };
}

/** A group of the fake org and the ids of its member users, in the order Okta lists them. */
export interface FakeOktaGroup {
  group: OktaGroupJson;
  memberIds: string[];
}

/** What the next request gets instead of its page (consumed in order). */
export type Fault =
  | { status: 429; reset?: 'now' | number }
  | { status: 500 | 503; retryAfter?: number }
  | { status: 200; rawBody: string }
  | { status: 401 };

export interface FakeOktaOptions {
  /** The API token it accepts; the string `any` accepts every token (one fake, many orgs). */
  token?: string;
  /** The whole directory, or a function producing user i of `count` (for large benchmarks). */
  users: OktaUserJson[] | { count: number; user: (index: number) => OktaUserJson };
  /** The org's groups (none when absent), or a function producing group i of `count`. */
  groups?: FakeOktaGroup[] | { count: number; group: (index: number) => FakeOktaGroup };
}

/** Okta's `search` pages through at most this many results; the `next` link past them fails. */
export const SEARCH_CAP = 50_000;

/**
 * A local Okta org speaking the real wire format: `SSWS` auth, `limit`/`after` paging through
 * `Link: <…>; rel="next"` headers, `X-Rate-Limit-*` and `Date` headers, Okta's error bodies.
 * It serves `/api/v1/users` and `/api/v1/groups` (each with a subset of `search`, see
 * `parseSearch`; capped at SEARCH_CAP results, as Okta's) and `/api/v1/groups/{id}/users`.
 */
export class FakeOkta {
  readonly requests: { url: string; authorization?: string }[] = [];
  /** Requests being answered right now, and the most ever at once, per token. */
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** While set, page requests wait for it (a stuck directory). */
  hold?: Promise<void>;
  /** Every page takes this long (a slow directory). */
  delayMs = 0;
  /** Called as each page request arrives, with the token it carries. */
  onRequest?: (token: string) => void;
  faults: Fault[] = [];
  /** Faults consumed when the request for this page number (0-based) of users arrives. */
  pageFaults = new Map<number, Fault>();
  /**
   * Faults consumed when the request for a page of another list arrives, keyed
   * `<path>@<page>`: `/api/v1/groups@1`, `/api/v1/groups/<id>/users@0`.
   */
  listFaults = new Map<string, Fault>();
  /** Okta's clock: the `Date` header of every answer. */
  now: () => number = Date.now;
  /** false: answers carry no `Date` header (as behind a proxy that strips it). */
  sendsDate = true;
  /** Each search's results, taken on its first page and paged from there, as Okta does. */
  private readonly searches = new Map<string, unknown[]>();
  private groupIndex?: Map<string, number>;
  private userIndex?: Map<string, number>;
  private server?: Server;
  private readonly token: string;

  constructor(private options: FakeOktaOptions) {
    this.token = options.token ?? 'okta-test-token';
  }

  get apiToken(): string {
    return this.token;
  }

  setUsers(users: FakeOktaOptions['users']): void {
    this.options = { ...this.options, users };
    this.userIndex = undefined;
  }

  setGroups(groups: FakeOktaOptions['groups']): void {
    this.options = { ...this.options, groups };
    this.groupIndex = undefined;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private group(index: number): FakeOktaGroup {
    const groups = this.options.groups ?? [];
    return Array.isArray(groups) ? groups[index] : groups.group(index);
  }

  private groupCount(): number {
    const groups = this.options.groups ?? [];
    return Array.isArray(groups) ? groups.length : groups.count;
  }

  /** The list a path names, or undefined for a path Okta would answer 404. */
  private listAt(url: URL): OktaList | 'invalid search' | undefined {
    if (url.pathname === '/api/v1/users') {
      const all = { count: this.userCount(), item: (i: number) => this.user(i) };
      return this.searched(url, all, USER_ATTRIBUTES);
    }
    if (url.pathname === '/api/v1/groups') {
      const all = { count: this.groupCount(), item: (i: number) => this.group(i).group };
      return this.searched(url, all, GROUP_ATTRIBUTES);
    }
    const groupId = /^\/api\/v1\/groups\/([^/]+)\/users$/.exec(url.pathname)?.[1];
    if (groupId === undefined) return undefined;
    const index = this.groupIndexOf(decodeURIComponent(groupId));
    if (index === undefined) return undefined;
    const memberIds = this.group(index).memberIds;
    return { count: memberIds.length, item: (i) => this.userById(memberIds[i]) };
  }

  /** Okta lists a group's members as whole users; one the fake does not know is bare. */
  private userById(id: string): OktaUserJson {
    if (!this.userIndex) {
      this.userIndex = new Map();
      for (let i = 0; i < this.userCount(); i++) this.userIndex.set(this.user(i).id, i);
    }
    const index = this.userIndex.get(id);
    return index === undefined ? { id, status: 'ACTIVE', profile: {} } : this.user(index);
  }

  /** The items of `all` the request's `search` selects (all of them without a search). */
  private searched<T>(
    url: URL,
    all: { count: number; item: (index: number) => T },
    attributes: Searchable<T>,
  ): OktaList | 'invalid search' {
    const search = url.searchParams.get('search');
    if (search === null) return all;
    const key = `${url.pathname} ${search}`;
    let selected = url.searchParams.has('after') ? this.searches.get(key) : undefined;
    if (!selected) {
      const matches = parseSearch(search, attributes);
      if (!matches) return 'invalid search';
      selected = [];
      for (let i = 0; i < all.count; i++) if (matches(all.item(i))) selected.push(all.item(i));
      this.searches.set(key, selected);
    }
    return { ...listOf(selected), capped: true };
  }

  private groupIndexOf(id: string): number | undefined {
    if (!this.groupIndex) {
      this.groupIndex = new Map();
      for (let i = 0; i < this.groupCount(); i++) this.groupIndex.set(this.group(i).group.id, i);
    }
    return this.groupIndex.get(id);
  }

  private userCount(): number {
    const users = this.options.users;
    return Array.isArray(users) ? users.length : users.count;
  }

  private user(index: number): OktaUserJson {
    const users = this.options.users;
    return Array.isArray(users) ? users[index] : users.user(index);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({
      url: url.pathname + url.search,
      authorization: req.headers.authorization,
    });
    const list = this.listAt(url);
    if (!list) return this.error(res, 404, 'E0000007', `Not found: Resource not found`);
    const token = /^SSWS (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || (this.token !== 'any' && token !== this.token)) {
      return this.error(res, 401, 'E0000011', 'Invalid token provided');
    }
    if (list === 'invalid search') {
      return this.error(res, 400, 'E0000031', 'Invalid search criteria.');
    }
    this.onRequest?.(token);
    const now = (this.inFlight.get(token) ?? 0) + 1;
    this.inFlight.set(token, now);
    this.maxInFlight.set(token, Math.max(now, this.maxInFlight.get(token) ?? 0));
    res.on('close', () => this.inFlight.set(token, (this.inFlight.get(token) ?? 1) - 1));
    const ready = this.hold ?? (this.delayMs ? sleep(this.delayMs) : undefined);
    if (ready) void ready.then(() => this.answerPage(url, list, res));
    else this.answerPage(url, list, res);
  }

  private answerPage(url: URL, list: OktaList, res: ServerResponse): void {
    if (res.destroyed) return;
    const maxLimit = url.pathname === '/api/v1/users' ? 200 : 10_000;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 200), maxLimit);
    const after = Number(url.searchParams.get('after') ?? 0);
    const pageNumber = Math.floor(after / limit);
    const fault = this.takeFault(url.pathname, pageNumber);
    if (fault && this.apply(fault, res)) return;
    if (list.capped && after >= SEARCH_CAP) {
      return this.error(res, 400, 'E0000031', 'Invalid search criteria.');
    }

    const end = Math.min(after + limit, list.count);
    const page: unknown[] = [];
    for (let i = after; i < end; i++) page.push(list.item(i));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...this.commonHeaders(res),
    };
    if (end < list.count) {
      const next = new URLSearchParams({ after: String(end), limit: String(limit) });
      for (const [name, value] of url.searchParams) {
        if (name !== 'after' && name !== 'limit') next.append(name, value);
      }
      headers.link =
        `<${this.url}${url.pathname}${url.search}>; rel="self", ` +
        `<${this.url}${url.pathname}?${next.toString()}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(page));
  }

  private takeFault(path: string, pageNumber: number): Fault | undefined {
    const key = `${path}@${pageNumber}`;
    const pageFault = path === '/api/v1/users' ? this.pageFaults.get(pageNumber) : undefined;
    const listFault = this.listFaults.get(key);
    this.listFaults.delete(key);
    if (path === '/api/v1/users') this.pageFaults.delete(pageNumber);
    return pageFault ?? listFault ?? this.faults.shift();
  }

  /** True when the fault answered the request. */
  private apply(fault: Fault, res: ServerResponse): boolean {
    if (fault.status === 429) {
      const reset =
        fault.reset === 'now' || fault.reset === undefined ? Date.now() / 1000 : fault.reset;
      res.setHeader('x-rate-limit-remaining', '0');
      res.setHeader('x-rate-limit-reset', String(Math.floor(reset)));
      this.error(res, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
      return true;
    }
    if (fault.status === 500 || fault.status === 503) {
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', String(fault.retryAfter));
      this.error(res, fault.status, 'E0000009', 'Internal Server Error');
      return true;
    }
    if (fault.status === 401) {
      this.error(res, 401, 'E0000011', 'Invalid token provided');
      return true;
    }
    if ('rawBody' in fault) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(fault.rawBody);
      return true;
    }
    return false;
  }

  /** Okta sends its rate-limit headers and its clock on every answer, errors included. */
  private commonHeaders(res: ServerResponse): Record<string, string> {
    res.sendDate = false;
    return {
      ...rateLimitHeaders(),
      ...(this.sendsDate ? { date: new Date(this.now()).toUTCString() } : {}),
    };
  }

  private error(res: ServerResponse, status: number, code: string, summary: string): void {
    for (const [name, value] of Object.entries(this.commonHeaders(res))) {
      if (!res.hasHeader(name)) res.setHeader(name, value);
    }
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errorCode: code, errorSummary: summary, errorCauses: [] }));
  }
}

/** One of Okta's lists: users, groups, or a group's member users. */
interface OktaList {
  count: number;
  item: (index: number) => unknown;
  /** A search's results: paged up to SEARCH_CAP only. */
  capped?: boolean;
}

function listOf(items: unknown[]): OktaList {
  return { count: items.length, item: (i) => items[i] };
}

/** The attributes of one kind of item that the fake's `search` knows. */
interface Searchable<T> {
  knows(attribute: string): boolean;
  value(item: T, attribute: string): string | null | undefined;
}

const USER_ATTRIBUTES: Searchable<OktaUserJson> = {
  knows: (attribute) =>
    ['id', 'status', 'lastUpdated'].includes(attribute) || attribute.startsWith('profile.'),
  value: (user, attribute) =>
    attribute.startsWith('profile.')
      ? user.profile[attribute.slice('profile.'.length)]
      : user[attribute as 'id' | 'status' | 'lastUpdated'],
};

const GROUP_ATTRIBUTES: Searchable<OktaGroupJson> = {
  knows: (attribute) =>
    ['id', 'type', 'profile.name', 'lastUpdated', 'lastMembershipUpdated'].includes(attribute),
  value: (group, attribute) =>
    attribute === 'profile.name'
      ? group.profile.name
      : group[attribute as 'id' | 'type' | 'lastUpdated' | 'lastMembershipUpdated'],
};

/**
 * The subset of Okta's `search` expressions the fake understands: `eq` and `sw` clauses on
 * text, `gt` on times, joined by `and` and `or` (`and` binding tighter) and
 * grouped by parentheses. Anything else is an invalid search.
 */
function parseSearch<T>(
  search: string,
  attributes: Searchable<T>,
): ((item: T) => boolean) | undefined {
  const tokens: string[] = [];
  const token = /\s*(\(|\)|"[^"]*"|[^\s()"]+)\s*/y;
  let read = 0;
  for (let match; (match = token.exec(search)); read = token.lastIndex) tokens.push(match[1]);
  if (read !== search.length) return undefined;
  let at = 0;
  type Matcher = ((item: T) => boolean) | undefined;
  const joined =
    (operand: () => Matcher, word: string, join: (a: boolean, b: boolean) => boolean) =>
    (): Matcher => {
      let left = operand();
      while (left && tokens[at]?.toLowerCase() === word) {
        at++;
        const [l, right] = [left, operand()];
        left = right && ((item) => join(l(item), right(item)));
      }
      return left;
    };
  const primary = (): Matcher => {
    if (tokens[at] === '(') {
      at++;
      const inner = disjunction();
      return tokens[at++] === ')' ? inner : undefined;
    }
    const [attribute, operator, quoted] = tokens.slice(at, (at += 3));
    return clause(attribute, operator, quoted, attributes);
  };
  const conjunction = joined(primary, 'and', (a, b) => a && b);
  const disjunction: () => Matcher = joined(conjunction, 'or', (a, b) => a || b);
  const matcher = disjunction();
  return at === tokens.length ? matcher : undefined;
}

function clause<T>(
  attribute: string | undefined,
  operator: string | undefined,
  quoted: string | undefined,
  attributes: Searchable<T>,
): ((item: T) => boolean) | undefined {
  if (!attribute || !attributes.knows(attribute) || !quoted || !/^"[^"]*"$/.test(quoted)) {
    return undefined;
  }
  const value = quoted.slice(1, -1);
  const actual = (item: T) => attributes.value(item, attribute);
  if (operator === 'eq') return (item) => actual(item) === value;
  if (operator === 'sw') return (item) => actual(item)?.startsWith(value) ?? false;
  const time = Date.parse(value);
  if (operator !== 'gt' || Number.isNaN(time)) return undefined;
  return (item) => {
    const own = actual(item);
    return typeof own === 'string' && Date.parse(own) > time;
  };
}

/** A window of 600 requests a minute with most of it left. */
function rateLimitHeaders(): Record<string, string> {
  return {
    'x-rate-limit-limit': '600',
    'x-rate-limit-remaining': '599',
    'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60),
  };
}

/** When the fake's users and groups last changed, unless a test says otherwise. */
export const LONG_AGO = '2020-01-01T00:00:00.000Z';

/** A typical Okta user; `overrides` merge into the profile. */
export function oktaUser(
  n: number,
  overrides: Partial<{
    status: string;
    lastUpdated: string;
    profile: Record<string, string | null>;
  }> = {},
): OktaUserJson {
  return {
    id: `00u${String(n).padStart(17, '0')}`,
    status: overrides.status ?? 'ACTIVE',
    lastUpdated: overrides.lastUpdated ?? LONG_AGO,
    profile: {
      login: `user${n}@acme.example`,
      email: `User${n}@Acme.example`,
      firstName: `First${n}`,
      lastName: `Last${n}`,
      department: `Dept${n % 10}`,
      title: 'Engineer',
      ...overrides.profile,
    },
  };
}

/** A typical Okta group of `memberIds` (user ids, e.g. `oktaUser(n).id`). */
export function oktaGroup(
  n: number,
  memberIds: string[],
  overrides: Partial<Pick<OktaGroupJson, 'type'>> & {
    name?: string;
    description?: string | null;
  } = {},
): FakeOktaGroup {
  return {
    group: {
      id: `00g${String(n).padStart(17, '0')}`,
      type: overrides.type ?? 'OKTA_GROUP',
      lastUpdated: LONG_AGO,
      lastMembershipUpdated: LONG_AGO,
      profile: {
        name: overrides.name ?? `Group ${n}`,
        description:
          overrides.description === undefined ? `Group ${n} of Acme` : overrides.description,
      },
    },
    memberIds,
  };
}
