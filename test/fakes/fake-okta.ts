import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A user as Okta's Users API returns it (the fields we read). */
export interface OktaUserJson {
  id: string;
  status: string;
  profile: Record<string, string | null>;
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
}

/**
 * A local Okta org speaking the real wire format: `SSWS` auth, `limit`/`after` paging through
 * `Link: <…>; rel="next"` headers, `X-Rate-Limit-*` headers, Okta's error bodies.
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
  /** Faults consumed when the request for this page number (0-based) arrives. */
  pageFaults = new Map<number, Fault>();
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

  private count(): number {
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
    if (url.pathname !== '/api/v1/users') return this.error(res, 404, 'E0000007', 'Not found');
    const token = /^SSWS (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || (this.token !== 'any' && token !== this.token)) {
      return this.error(res, 401, 'E0000011', 'Invalid token provided');
    }
    this.onRequest?.(token);
    const now = (this.inFlight.get(token) ?? 0) + 1;
    this.inFlight.set(token, now);
    this.maxInFlight.set(token, Math.max(now, this.maxInFlight.get(token) ?? 0));
    res.on('close', () => this.inFlight.set(token, (this.inFlight.get(token) ?? 1) - 1));
    const ready = this.hold ?? (this.delayMs ? sleep(this.delayMs) : undefined);
    if (ready) void ready.then(() => this.answerPage(url, res));
    else this.answerPage(url, res);
  }

  private answerPage(url: URL, res: ServerResponse): void {
    if (res.destroyed) return;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 200), 200);
    const after = Number(url.searchParams.get('after') ?? 0);
    const pageNumber = Math.floor(after / limit);
    const fault = this.pageFaults.get(pageNumber) ?? this.faults.shift();
    this.pageFaults.delete(pageNumber);
    if (fault && this.apply(fault, res)) return;

    const end = Math.min(after + limit, this.count());
    const page: OktaUserJson[] = [];
    for (let i = after; i < end; i++) page.push(this.user(i));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...rateLimitHeaders(),
    };
    if (end < this.count()) {
      headers.link =
        `<${this.url}/api/v1/users?limit=${limit}>; rel="self", ` +
        `<${this.url}/api/v1/users?after=${end}&limit=${limit}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(page));
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
