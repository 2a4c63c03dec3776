import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';
import { transitiveMemberIds } from './nested-groups.js';

export const DIRECTORY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const GROUP_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.readonly';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A user as the Directory API returns it (the fields we read). */
export interface GoogleUserJson {
  kind: 'admin#directory#user';
  id: string;
  primaryEmail: string;
  name: { givenName?: string; familyName?: string; fullName?: string };
  organizations?: { primary?: boolean; department?: string; title?: string; type?: string }[];
  suspended?: boolean;
  archived?: boolean;
  isEnrolledIn2Sv?: boolean;
  isAdmin?: boolean;
}

/** A group as `groups.list` returns it (the fields we read, and a few more). */
export interface GoogleGroupJson {
  kind: 'admin#directory#group';
  id: string;
  email: string;
  name: string;
  description: string;
}

/**
 * A group of the fake domain and its direct members: user ids, other groups' ids (nested
 * groups), or `customer` (the member that stands for everyone in the account).
 */
export interface FakeGoogleGroup {
  group: GoogleGroupJson;
  memberIds: string[];
}

/** What a users request gets instead of its page. */
export type GoogleFault =
  | { status: 403; reason: 'userRateLimitExceeded' | 'quotaExceeded' | 'rateLimitExceeded' }
  | { status: 403; reason: 'forbidden' | 'accessNotConfigured' }
  | { status: 429; retryAfter?: string }
  | { status: 401 }
  | { status: 503 };

/** A service account key pair, as the JSON key file has it (PKCS#8) and Google keeps it. */
export function serviceAccountKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

export interface FakeGoogleOptions {
  serviceAccountEmail: string;
  /** The service account's public key (SPKI PEM): assertions must verify against it. */
  publicKey: string;
  /** Users the assertion's `sub` may be (the domain's admins). */
  admins: string[];
  /** The customer id of `my_customer`. */
  customerId?: string;
  /** Access token lifetime, seconds (Google: 3599). */
  expiresIn?: number;
}

/**
 * Google's OAuth token endpoint and Admin SDK Directory API, in their real wire format: the
 * jwt-bearer grant with the RS256 assertion verified against the service account's public
 * key (iss, sub, scope, aud, iat/exp), OAuth error bodies (`invalid_grant`,
 * `unauthorized_client`, `invalid_client`); `users.list` with `customer`, `maxResults` (at
 * most 500) and opaque `pageToken`s, Google's JSON error bodies, 403 rate-limit reasons and
 * 429 with Retry-After; `groups.list` (`customer`, `maxResults` at most 200) and
 * `members.list` (at most 200, `includeDerivedMembership`), which need the group scope.
 */
export class FakeGoogle {
  /** Every users request: its path and query, and the bearer token it carried. */
  readonly requests: { url: string; token?: string }[] = [];
  /** Every token request, with the claims of its assertion when it verified. */
  readonly tokenRequests: { claims?: Record<string, unknown>; error?: string }[] = [];
  /** Every groups and members request, likewise. */
  readonly groupRequests: { url: string; token?: string }[] = [];
  /** Scopes delegated to the service account in the Admin console (domain-wide delegation). */
  delegatedScopes = [DIRECTORY_SCOPE, GROUP_SCOPE];
  /** Faults consumed in order by the next users requests. */
  faults: GoogleFault[] = [];
  /** Faults consumed when the request for this page (0-based) arrives. */
  pageFaults = new Map<number, GoogleFault[]>();
  /**
   * Faults consumed when the request for a page of groups or of a group's members arrives,
   * keyed `<path>@<page>`: `/admin/directory/v1/groups@1`,
   * `/admin/directory/v1/groups/<id>/members@0`.
   */
  listFaults = new Map<string, GoogleFault>();
  private users: GoogleUserJson[] = [];
  private groups: FakeGoogleGroup[] = [];
  /** Access tokens handed out, with their scopes. */
  private readonly issued = new Map<string, string[]>();
  private issuedCount = 0;
  private server?: Server;

  constructor(private readonly options: FakeGoogleOptions) {}

  setUsers(users: GoogleUserJson[]): void {
    this.users = users;
  }

  setGroups(groups: FakeGoogleGroup[]): void {
    this.groups = groups;
  }

  /** Every access token handed out so far stops working (revoked, or expired early). */
  revokeTokens(): void {
    this.issued.clear();
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/token' && req.method === 'POST') {
      return this.token(await readBody(req), res);
    }
    if (url.pathname === '/admin/directory/v1/users' && req.method === 'GET') {
      return this.listUsers(url, req, res);
    }
    const members = /^\/admin\/directory\/v1\/groups(?:\/([^/]+)\/members)?$/.exec(url.pathname);
    if (members && req.method === 'GET') return this.listGroups(url, members[1], req, res);
    this.apiError(res, 404, 'notFound', 'Not Found', 'NOT_FOUND');
  }

  /** POST /token: the jwt-bearer grant (RFC 7523) as Google's endpoint answers it. */
  private async token(body: string, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(body);
    const refuse = (status: number, error: string, description: string) => {
      this.tokenRequests.push({ error });
      send(res, status, { error, error_description: description });
    };
    if (form.get('grant_type') !== JWT_BEARER) {
      return refuse(400, 'unsupported_grant_type', 'Invalid grant_type: ' + form.get('grant_type'));
    }
    let claims: Record<string, unknown>;
    try {
      const key = await importSPKI(this.options.publicKey, 'RS256');
      ({ payload: claims } = await jwtVerify(form.get('assertion') ?? '', key, {
        algorithms: ['RS256'],
        audience: this.tokenUrl,
        maxTokenAge: '1h',
        clockTolerance: 30,
      }));
    } catch {
      return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    const { iss, sub, scope, iat, exp } = claims;
    if (iss !== this.options.serviceAccountEmail) {
      return refuse(401, 'invalid_client', 'The OAuth client was not found.');
    }
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600) {
      return refuse(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable ' +
          'timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (typeof sub !== 'string' || !this.options.admins.includes(sub)) {
      return refuse(400, 'invalid_grant', 'Invalid email or User ID');
    }
    const scopes = typeof scope === 'string' ? scope.split(' ') : [];
    if (!scopes.length || !scopes.every((s) => this.delegatedScopes.includes(s))) {
      return refuse(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not ' +
          'authorized for any of the scopes requested.',
      );
    }
    this.tokenRequests.push({ claims });
    const accessToken = `ya29.fake-${++this.issuedCount}`;
    this.issued.set(accessToken, scopes);
    send(res, 200, {
      access_token: accessToken,
      expires_in: this.options.expiresIn ?? 3599,
      token_type: 'Bearer',
    });
  }

  /** GET /admin/directory/v1/users: `users.list`. */
  private listUsers(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const token = this.authorized(url, req, res, this.requests, DIRECTORY_SCOPE);
    if (token === undefined || !this.knownCustomer(url, res)) return;
    const page = this.page(url, 500, res);
    if (!page) return;
    const fault = this.pageFaults.get(page.number)?.shift() ?? this.faults.shift();
    if (fault) return this.applyFault(fault, res);
    this.sendPage(res, 'admin#directory#users', 'users', this.users, page);
  }

  /** `groups.list` (no group key) or `members.list` of one group. */
  private listGroups(
    url: URL,
    groupKey: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const token = this.authorized(url, req, res, this.groupRequests, GROUP_SCOPE);
    if (token === undefined) return;
    if (groupKey === undefined && !this.knownCustomer(url, res)) return;
    const page = this.page(url, 200, res);
    if (!page) return;
    const fault = this.listFaults.get(`${url.pathname}@${page.number}`) ?? this.faults.shift();
    this.listFaults.delete(`${url.pathname}@${page.number}`);
    if (fault) return this.applyFault(fault, res);
    if (groupKey === undefined) {
      const groups = this.groups.map((g) => g.group);
      return this.sendPage(res, 'admin#directory#groups', 'groups', groups, page);
    }
    const group = this.groups.find((g) => g.group.id === decodeURIComponent(groupKey));
    if (!group) {
      return this.apiError(res, 404, 'notFound', 'Resource Not Found: groupKey', 'NOT_FOUND');
    }
    const derived = url.searchParams.get('includeDerivedMembership') === 'true';
    const direct = (id: string) => this.groups.find((g) => g.group.id === id)?.memberIds;
    const ids = derived ? transitiveMemberIds(group.group.id, direct) : group.memberIds;
    const members = ids
      .filter((id) => !derived || direct(id) === undefined)
      .map((id) => this.member(id));
    this.sendPage(res, 'admin#directory#members', 'members', members, page);
  }

  /** A member as `members.list` shows it: a user, a nested group, or the whole customer. */
  private member(id: string): Record<string, string> {
    const base = { kind: 'admin#directory#member', id, role: 'MEMBER', status: 'ACTIVE' };
    if (id === 'customer') return { ...base, id: 'C0fake123', type: 'CUSTOMER' };
    const group = this.groups.find((g) => g.group.id === id);
    if (group) return { ...base, email: group.group.email, type: 'GROUP' };
    const user = this.users.find((u) => u.id === id);
    return { ...base, email: user?.primaryEmail ?? `${id}@acme.example`, type: 'USER' };
  }

  /** The bearer token when it is live and carries `scope`; otherwise answers 401/403. */
  private authorized(
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    log: { url: string; token?: string }[],
    scope: string,
  ): string | undefined {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    log.push({ url: url.pathname + url.search, token });
    const scopes = token === undefined ? undefined : this.issued.get(token);
    if (!scopes) {
      this.apiError(
        res,
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login ' +
          'cookie or other valid authentication credential.',
        'UNAUTHENTICATED',
      );
      return undefined;
    }
    if (!scopes.includes(scope)) {
      this.apiError(
        res,
        403,
        'insufficientPermissions',
        'Request had insufficient authentication scopes.',
        'PERMISSION_DENIED',
      );
      return undefined;
    }
    return token;
  }

  private knownCustomer(url: URL, res: ServerResponse): boolean {
    const customer = url.searchParams.get('customer');
    if (customer === 'my_customer' || customer === (this.options.customerId ?? 'C0fake123')) {
      return true;
    }
    this.apiError(res, 400, 'badRequest', 'Bad Request', 'INVALID_ARGUMENT');
    return false;
  }

  /** The page asked for (its offset, size and number), or undefined after answering 400. */
  private page(
    url: URL,
    largest: number,
    res: ServerResponse,
  ): { offset: number; size: number; number: number } | undefined {
    const size = Number(url.searchParams.get('maxResults') ?? 100);
    if (!Number.isInteger(size) || size < 1 || size > largest) {
      this.apiError(res, 400, 'invalid', 'Invalid Input: maxResults', 'INVALID_ARGUMENT');
      return undefined;
    }
    const pageToken = url.searchParams.get('pageToken');
    const offset = pageToken ? decodePageToken(pageToken) : 0;
    if (offset === undefined) {
      this.apiError(res, 400, 'invalid', 'Invalid Input: pageToken', 'INVALID_ARGUMENT');
      return undefined;
    }
    return { offset, size, number: Math.floor(offset / size) };
  }

  private sendPage(
    res: ServerResponse,
    kind: string,
    key: string,
    items: unknown[],
    page: { offset: number; size: number },
  ): void {
    const end = Math.min(page.offset + page.size, items.length);
    const body: Record<string, unknown> = { kind, etag: '"fake-etag"' };
    // Like Google: an empty list has no key for its items at all.
    if (end > page.offset) body[key] = items.slice(page.offset, end);
    if (end < items.length) body.nextPageToken = encodePageToken(end);
    send(res, 200, body);
  }

  private applyFault(fault: GoogleFault, res: ServerResponse): void {
    switch (fault.status) {
      case 401:
        return this.apiError(res, 401, 'authError', 'Invalid Credentials', 'UNAUTHENTICATED');
      case 429:
        if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter);
        return this.apiError(
          res,
          429,
          'rateLimitExceeded',
          'Quota exceeded for quota metric ...',
          'RESOURCE_EXHAUSTED',
        );
      case 503:
        return this.apiError(res, 503, 'backendError', 'Backend Error', 'UNAVAILABLE');
      case 403: {
        const messages: Record<string, string> = {
          userRateLimitExceeded: 'Request rate higher than configured.',
          rateLimitExceeded: 'Rate Limit Exceeded',
          quotaExceeded: 'Quota exceeded for quota group ...',
          forbidden: 'Not Authorized to access this resource/api',
          accessNotConfigured:
            'Admin SDK API has not been used in project 123 before or it is disabled.',
        };
        return this.apiError(
          res,
          403,
          fault.reason,
          messages[fault.reason],
          fault.reason === 'accessNotConfigured' ? 'SERVICE_DISABLED' : 'PERMISSION_DENIED',
        );
      }
    }
  }

  /** Google's JSON error body. */
  private apiError(
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    status: string,
  ): void {
    const domain = /RateLimit|quota/i.test(reason) ? 'usageLimits' : 'global';
    send(res, code, { error: { code, message, errors: [{ message, domain, reason }], status } });
  }
}

/** A typical group of the domain with these direct members (user or group ids, `customer`). */
export function googleGroup(
  n: number,
  memberIds: string[],
  overrides: Partial<GoogleGroupJson> = {},
): FakeGoogleGroup {
  return {
    group: {
      kind: 'admin#directory#group',
      id: `03x${String(n).padStart(12, '0')}`,
      email: `group${n}@acme.example`,
      name: `Group ${n}`,
      description: `Group ${n} of Acme`,
      ...overrides,
    },
    memberIds,
  };
}

/** A typical Google Workspace user; `overrides` replace top-level fields. */
export function googleUser(n: number, overrides: Partial<GoogleUserJson> = {}): GoogleUserJson {
  return {
    kind: 'admin#directory#user',
    id: String(100_000_000_000_000_000_000n + BigInt(n)),
    primaryEmail: `user${n}@acme.example`,
    name: { givenName: `First${n}`, familyName: `Last${n}`, fullName: `First${n} Last${n}` },
    organizations: [
      { type: 'work', department: 'Old', title: 'Intern' },
      { primary: true, department: `Dept${n % 10}`, title: 'Engineer' },
    ],
    suspended: false,
    archived: false,
    isEnrolledIn2Sv: n % 2 === 0,
    isAdmin: false,
    ...overrides,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  return match ? Number(match[1]) : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
