import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A user as Okta's Users API returns it (the fields we read). */
export interface OktaUserJson {
  id: string;
  status: string;
  profile: Record<string, string | null>;
}

/** A group as Okta's Groups API returns it (the fields we read). */
export interface OktaGroupJson {
  id: string;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
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

/**
 * A local Okta org speaking the real wire format: `SSWS` auth, `limit`/`after` paging through
 * `Link: <…>; rel="next"` headers, `X-Rate-Limit-*` headers, Okta's error bodies. It serves
 * `/api/v1/users`, `/api/v1/groups` (with a subset of `search`: `eq`/`sw` clauses on `type`,
 * `id`, `profile.name` joined by `and`) and `/api/v1/groups/{id}/users`.
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
    const users = this.options.users;
    if (url.pathname === '/api/v1/users') {
      return Array.isArray(users) ? listOf(users) : { count: users.count, item: users.user };
    }
    if (url.pathname === '/api/v1/groups') return this.groupList(url.searchParams.get('search'));
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

  private groupList(search: string | null): OktaList | 'invalid search' {
    const all = { count: this.groupCount(), item: (i: number) => this.group(i).group };
    if (search === null) return all;
    const matches = searchMatcher(search);
    if (!matches) return 'invalid search';
    const selected: OktaGroupJson[] = [];
    for (let i = 0; i < all.count; i++) if (matches(all.item(i))) selected.push(all.item(i));
    return listOf(selected);
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

    const end = Math.min(after + limit, list.count);
    const page: unknown[] = [];
    for (let i = after; i < end; i++) page.push(list.item(i));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...rateLimitHeaders(),
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

  /** Okta sends its rate-limit headers on every answer, errors included. */
  private error(res: ServerResponse, status: number, code: string, summary: string): void {
    for (const [name, value] of Object.entries(rateLimitHeaders())) {
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
}

function listOf(items: unknown[]): OktaList {
  return { count: items.length, item: (i) => items[i] };
}

/**
 * The subset of Okta's `search` expressions the fake understands: `eq` and `sw` clauses on
 * `type`, `id` and `profile.name`, joined by `and`. Anything else is an invalid search.
 */
function searchMatcher(search: string): ((group: OktaGroupJson) => boolean) | undefined {
  const clauses = search.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(type|id|profile\.name)\s+(eq|sw)\s+"([^"]*)"\s*$/.exec(clause);
    if (!match) return undefined;
    const [, attribute, operator, value] = match;
    return (group: OktaGroupJson) => {
      const actual =
        attribute === 'type' ? group.type : attribute === 'id' ? group.id : group.profile.name;
      return operator === 'eq' ? actual === value : actual.startsWith(value);
    };
  });
  if (clauses.some((clause) => clause === undefined)) return undefined;
  return (group) => clauses.every((clause) => clause!(group));
}

/** A window of 600 requests a minute with most of it left. */
function rateLimitHeaders(): Record<string, string> {
  return {
    'x-rate-limit-limit': '600',
    'x-rate-limit-remaining': '599',
    'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60),
  };
}

/** A typical Okta user; `overrides` merge into the profile. */
export function oktaUser(
  n: number,
  overrides: Partial<{ status: string; profile: Record<string, string | null> }> = {},
): OktaUserJson {
  return {
    id: `00u${String(n).padStart(17, '0')}`,
    status: overrides.status ?? 'ACTIVE',
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
      profile: {
        name: overrides.name ?? `Group ${n}`,
        description:
          overrides.description === undefined ? `Group ${n} of Acme` : overrides.description,
      },
    },
    memberIds,
  };
}
