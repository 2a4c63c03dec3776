import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { transitiveMemberIds } from './nested-groups.js';

/** A user as Microsoft Graph returns it with our `$select` (every selected key, null if unset). */
export interface GraphUserJson {
  id: string;
  mail: string | null;
  userPrincipalName: string;
  givenName: string | null;
  surname: string | null;
  department?: string | null;
  jobTitle?: string | null;
  accountEnabled: boolean;
}

/** A group as Microsoft Graph returns it with our `$select`. */
export interface GraphGroupJson {
  id: string;
  displayName: string;
  description: string | null;
}

/** A group of the fake tenant and its direct members: ids of users or of other groups. */
export interface FakeGraphGroup {
  group: GraphGroupJson;
  memberIds: string[];
}

/** What the next Graph request gets instead of its page. */
export type GraphFault =
  | { status: 429; retryAfter?: number }
  | { status: 503; retryAfter?: number }
  | { status: 401 } // the token expired or was revoked under us
  | { status: 403 }; // the app lacks User.Read.All

export interface FakeEntraOptions {
  tenantId?: string;
  clientId?: string;
  /** An app may have several valid secrets at once (rotation). */
  clientSecrets?: string[];
  users?: GraphUserJson[];
  groups?: FakeGraphGroup[];
}

const SCOPE = 'https://graph.microsoft.com/.default';
const SELECT = 'id,mail,userPrincipalName,givenName,surname,department,jobTitle,accountEnabled';
const GROUP_SELECT = 'id,displayName,description';
const GROUP_DELTA_SELECT = `${GROUP_SELECT},members`;
const DELTA = /^\/v1\.0\/(users|groups)\/delta$/;
const MEMBER_OF = /^\/v1\.0\/groups\/([^/]+)\/transitiveMemberOf\/microsoft\.graph\.group$/;
const MEMBERS = /^\/v1\.0\/groups\/([^/]+)\/(members|transitiveMembers)\/microsoft\.graph\.user$/;

/**
 * A local Entra ID tenant and Microsoft Graph speaking the real wire format: the v2.0 token
 * endpoint (client-credentials grant, form body, Azure AD's `{error, error_description:
 * "AADSTS…", error_codes}` errors), and `GET /v1.0/users` with `$select`/`$top` (max 999)
 * paged by an absolute `@odata.nextLink` carrying an opaque `$skiptoken`, bearer tokens that
 * expire, Graph's `{error: {code, message, innerError}}` errors, 429/503 with Retry-After.
 * Groups likewise: `GET /v1.0/groups` with `$select`/`$top` and a `$filter` subset
 * (`startswith(displayName,'…')`, `displayName eq '…'`), and a group's user members, direct
 * (`/members/microsoft.graph.user`) or flattened (`/transitiveMembers/microsoft.graph.user`),
 * and the groups a group is nested in (`/transitiveMemberOf/microsoft.graph.group`).
 * Delta queries: `/users/delta` and `/groups/delta` with `$deltatoken=latest` (a deltaLink, no
 * data), then deltaLinks and `$skiptoken` nextLinks that stand for a position in a change log
 * the test appends to through changeUser, removeUser, changeGroup and removeGroup; links
 * forgotten by expireDeltaLinks answer Graph's expired-link error.
 */
export class FakeEntra {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecrets: string[];
  users: GraphUserJson[];
  groups: FakeGraphGroup[];
  /** Token lifetime handed out, in seconds (Entra's default is about an hour). */
  expiresIn = 3599;
  readonly tokenRequests: { tenant: string; form: Record<string, string> }[] = [];
  readonly graphRequests: { url: string; authorization?: string; at: number }[] = [];
  graphFaults: GraphFault[] = [];
  /** Faults consumed when the request for this page number (0-based) of users arrives. */
  pageFaults = new Map<number, GraphFault>();
  /**
   * Faults consumed when the request for a page of another list arrives, keyed
   * `<path>@<page>`: `/v1.0/groups@1`, `/v1.0/groups/<id>/members/microsoft.graph.user@0`.
   */
  listFaults = new Map<string, GraphFault>();
  /** Where `@odata.nextLink` points (default: this server), to test a link to another host. */
  nextLinkBase?: string;
  /** Where `@odata.deltaLink` points (default: this server). */
  deltaLinkBase?: string;
  /** Entries per delta page (Graph chooses its own; a test makes it small to page). */
  deltaPageSize = 100;
  /** What an expired deltaLink gets: 410 Gone, or the 400 `syncStateNotFound` of a 7-day-old one. */
  expiredStatus: 400 | 410 = 410;
  /** Each change as its delta entry, per collection, in order: a deltaLink is a position here. */
  private readonly changeLog: Record<DeltaList, object[]> = { users: [], groups: [] };
  private readonly deltaTokens = new Map<string, DeltaPosition>();
  private readonly tokens = new Map<string, number>();
  private readonly skipTokens = new Map<string, number>();
  private server?: Server;

  constructor(options: FakeEntraOptions = {}) {
    this.tenantId = options.tenantId ?? randomUUID();
    this.clientId = options.clientId ?? randomUUID();
    this.clientSecrets = options.clientSecrets ?? ['Xy8Q~fake-secret-value'];
    this.users = options.users ?? [];
    this.groups = options.groups ?? [];
  }

  get clientSecret(): string {
    return this.clientSecrets[0];
  }

  /** An entra-id connection's config for this tenant, with `extra` fields on top. */
  connectionConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      tenantId: this.tenantId,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      authorityHost: this.url,
      graphBaseUrl: this.url,
      ...extra,
    };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
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

  /** Every token issued so far stops working (as after a secret rotation and revocation). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  reset(): void {
    this.tokenRequests.length = 0;
    this.graphRequests.length = 0;
    this.graphFaults = [];
    this.pageFaults.clear();
    this.listFaults.clear();
    this.expiresIn = 3599;
    this.nextLinkBase = undefined;
    this.deltaLinkBase = undefined;
    this.deltaPageSize = 100;
    this.expiredStatus = 410;
  }

  /** A user created or changed in the tenant (as its delta entry: every selected property). */
  putUser(user: GraphUserJson): void {
    const index = this.users.findIndex((u) => u.id === user.id);
    if (index < 0) this.users.push(user);
    else this.users[index] = user;
    this.changeLog.users.push(user);
  }

  changeUser(id: string, changes: Partial<GraphUserJson>): void {
    const user = this.users.find((u) => u.id === id);
    if (!user) throw new Error(`no user ${id}`);
    this.putUser({ ...user, ...changes });
  }

  /** A user deleted (`deleted`) or soft-deleted / out of scope (`changed`). */
  removeUser(id: string, reason: 'changed' | 'deleted' = 'changed'): void {
    this.users = this.users.filter((u) => u.id !== id);
    this.changeLog.users.push(removedEntry('user', id, reason));
    // Graph reports the user's groups changed too, the user removed from their members.
    for (const { group, memberIds } of this.groups.filter((g) => g.memberIds.includes(id))) {
      this.putGroup(
        group,
        memberIds.filter((member) => member !== id),
      );
    }
  }

  /**
   * A group created, renamed or given new direct members: its entry carries its properties
   * and, in `members@delta`, the members added and (with `@removed`) removed.
   */
  putGroup(group: GraphGroupJson, memberIds?: string[]): void {
    const known = this.groups.find((g) => g.group.id === group.id);
    const before = known?.memberIds ?? [];
    const after = memberIds ?? before;
    if (known) Object.assign(known, { group, memberIds: after });
    else this.groups.push({ group, memberIds: after });
    const memberEntry = (id: string) => ({
      '@odata.type': this.groups.some((g) => g.group.id === id)
        ? '#microsoft.graph.group'
        : '#microsoft.graph.user',
      id,
    });
    const membersDelta = [
      ...after.filter((id) => !before.includes(id)).map(memberEntry),
      ...before
        .filter((id) => !after.includes(id))
        .map((id) => ({ ...memberEntry(id), '@removed': { reason: 'deleted' } })),
    ];
    this.changeLog.groups.push(
      membersDelta.length ? { ...group, 'members@delta': membersDelta } : group,
    );
  }

  removeGroup(id: string): void {
    this.groups = this.groups.filter((g) => g.group.id !== id);
    this.changeLog.groups.push(removedEntry('group', id, 'deleted'));
  }

  /** Every deltaLink and delta nextLink handed out so far stops working. */
  expireDeltaLinks(): void {
    this.deltaTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token) return this.tokenEndpoint(decodeURIComponent(token[1]), req, res);
    const delta = DELTA.exec(url.pathname);
    if (delta) return this.deltaEndpoint(url, delta[1] as DeltaList, req, res);
    const list = this.listAt(url);
    if (list) return this.listEndpoint(url, list, req, res);
    return this.graphError(res, 404, 'Request_ResourceNotFound', 'Resource not found.');
  }

  private async tokenEndpoint(
    tenant: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
    this.tokenRequests.push({ tenant, form });
    if (req.method !== 'POST') {
      return this.aadError(res, 405, 'invalid_request', 900561, 'The endpoint only accepts POST');
    }
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return this.aadError(
        res,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    if (tenant !== this.tenantId) {
      return this.aadError(
        res,
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and ` +
          'are signing into the correct cloud.',
      );
    }
    if (form.grant_type !== 'client_credentials') {
      return this.aadError(
        res,
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      );
    }
    if (form.client_id !== this.clientId) {
      return this.aadError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id}' was not found in the directory ` +
          `'${tenant}'.`,
      );
    }
    if (!this.clientSecrets.includes(form.client_secret)) {
      return this.aadError(
        res,
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the ' +
          `client secret value, not the client secret ID, for a secret added to app '${this.clientId}'.`,
      );
    }
    if (form.scope !== SCOPE) {
      return this.aadError(
        res,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${form.scope} is not valid.`,
      );
    }
    const accessToken = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, Date.now() + this.expiresIn * 1000);
    this.json(res, 200, {
      token_type: 'Bearer',
      expires_in: this.expiresIn,
      ext_expires_in: this.expiresIn,
      access_token: accessToken,
    });
  }

  /** The Graph collection a path names (undefined: 404), or the 400 its query deserves. */
  private listAt(url: URL): GraphList | { status: 400; code: string; message: string } | undefined {
    if (url.pathname === '/v1.0/users') return { select: SELECT, items: this.users };
    if (url.pathname === '/v1.0/groups') {
      const filter = url.searchParams.get('$filter');
      const matches = filter === null ? () => true : filterMatcher(filter);
      if (!matches) {
        return {
          status: 400,
          code: 'Request_UnsupportedQuery',
          message:
            "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'Group'.",
        };
      }
      return { select: GROUP_SELECT, items: this.groups.map((g) => g.group).filter(matches) };
    }
    const direct = (id: string) => this.groups.find((g) => g.group.id === id)?.memberIds;
    const memberOf = MEMBER_OF.exec(url.pathname);
    if (memberOf) {
      const id = decodeURIComponent(memberOf[1]);
      if (!direct(id)) return undefined;
      const ancestors = this.groups.filter((g) =>
        transitiveMemberIds(g.group.id, direct).includes(id),
      );
      return { select: GROUP_SELECT, items: ancestors.map((g) => g.group) };
    }
    const members = MEMBERS.exec(url.pathname);
    if (!members) return undefined;
    const group = this.groups.find((g) => g.group.id === decodeURIComponent(members[1]));
    if (!group) return undefined;
    const ids =
      members[2] === 'members' ? group.memberIds : transitiveMemberIds(group.group.id, direct);
    const users = ids.flatMap((id) => this.users.filter((user) => user.id === id));
    return {
      select: 'id',
      items: users.map((user) => ({ '@odata.type': '#microsoft.graph.user', id: user.id })),
    };
  }

  private listEndpoint(
    url: URL,
    list: GraphList | { status: 400; code: string; message: string },
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    if (!this.authorized(url, req, res)) return;
    if ('status' in list) return this.graphError(res, list.status, list.code, list.message);
    const top = Number(url.searchParams.get('$top') ?? 100);
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      return this.graphError(
        res,
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
      );
    }
    if (url.searchParams.get('$select') !== list.select) {
      return this.graphError(res, 400, 'Request_BadRequest', 'Unexpected $select.');
    }
    const skipToken = url.searchParams.get('$skiptoken');
    const offset = skipToken === null ? 0 : this.skipTokens.get(skipToken);
    if (offset === undefined) {
      return this.graphError(
        res,
        400,
        'Directory_ExpiredPageToken',
        'The specified page token value has expired and can no longer be included in your request.',
      );
    }
    const pageNumber = Math.floor(offset / top);
    const fault = this.takeFault(url.pathname, pageNumber);
    if (fault) return this.applyFault(fault, res);

    const end = Math.min(offset + top, list.items.length);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.url}/v1.0/$metadata#${url.pathname.slice('/v1.0/'.length)}(${list.select})`,
      value: list.items.slice(offset, end),
    };
    if (end < list.items.length) {
      const next = `RFNwdAIAAQAAA${randomBytes(12).toString('base64url')}`;
      this.skipTokens.set(next, end);
      const query = new URLSearchParams(url.searchParams);
      query.delete('$skiptoken');
      // Graph writes its own links with $ and , unescaped.
      const kept = decodeURIComponent(query.toString());
      body['@odata.nextLink'] =
        `${this.nextLinkBase ?? this.url}${url.pathname}?${kept}&$skiptoken=${next}`;
    }
    this.json(res, 200, body);
  }

  /** Records a Graph request, and answers 401 unless it carries a live token. */
  private authorized(url: URL, req: IncomingMessage, res: ServerResponse): boolean {
    this.graphRequests.push({
      url: url.pathname + url.search,
      authorization: req.headers.authorization,
      at: Date.now(),
    });
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) {
      this.graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
      return false;
    }
    const expiry = this.tokens.get(bearer);
    if (expiry === undefined) {
      this.graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience.',
      );
      return false;
    }
    if (expiry <= Date.now()) {
      this.graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Lifetime validation failed, the token is expired.',
      );
      return false;
    }
    return true;
  }

  /**
   * A delta query: `$deltatoken=latest` (with the expected `$select`) answers a deltaLink at the
   * log's end and no data; a deltaLink or nextLink answers the log's entries from its position,
   * a page at a time, the last page with a new deltaLink at the log's end.
   */
  private deltaEndpoint(
    url: URL,
    list: DeltaList,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    if (!this.authorized(url, req, res)) return;
    const log = this.changeLog[list];
    const deltaToken = url.searchParams.get('$deltatoken');
    if (deltaToken === 'latest') {
      if (url.searchParams.get('$select') !== (list === 'users' ? SELECT : GROUP_DELTA_SELECT)) {
        return this.graphError(res, 400, 'Request_BadRequest', 'Unexpected $select.');
      }
      return this.json(res, 200, this.deltaPage(list, [], { list, position: log.length, page: 0 }));
    }
    const at = this.deltaTokens.get(deltaToken ?? url.searchParams.get('$skiptoken') ?? '');
    if (!at || at.list !== list) {
      return this.expiredStatus === 410
        ? this.graphError(
            res,
            410,
            'resyncRequired',
            'Resync required: the delta token is no longer valid.',
          )
        : this.graphError(
            res,
            400,
            'syncStateNotFound',
            'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
          );
    }
    const fault = this.takeFault(url.pathname, at.page);
    if (fault) return this.applyFault(fault, res);
    const end = Math.min(at.position + this.deltaPageSize, log.length);
    const entries = log.slice(at.position, end);
    this.json(res, 200, this.deltaPage(list, entries, { list, position: end, page: at.page + 1 }));
  }

  /** A delta page: a nextLink to `next` while the log goes on, else a deltaLink at its end. */
  private deltaPage(list: DeltaList, value: object[], next: DeltaPosition): object {
    const token = randomBytes(18).toString('base64url');
    const more = next.position < this.changeLog[list].length;
    this.deltaTokens.set(token, more ? next : { ...next, page: 0 });
    const base = (more ? this.nextLinkBase : this.deltaLinkBase) ?? this.url;
    const link = `${base}/v1.0/${list}/delta?$${more ? 'skiptoken' : 'deltatoken'}=${token}`;
    return {
      '@odata.context': `${this.url}/v1.0/$metadata#${list}`,
      value,
      [more ? '@odata.nextLink' : '@odata.deltaLink']: link,
    };
  }

  private takeFault(path: string, pageNumber: number): GraphFault | undefined {
    const key = `${path}@${pageNumber}`;
    const pageFault = path === '/v1.0/users' ? this.pageFaults.get(pageNumber) : undefined;
    const listFault = this.listFaults.get(key);
    this.listFaults.delete(key);
    if (path === '/v1.0/users') this.pageFaults.delete(pageNumber);
    return pageFault ?? listFault ?? this.graphFaults.shift();
  }

  private applyFault(fault: GraphFault, res: ServerResponse): void {
    if (fault.status === 429 || fault.status === 503) {
      res.setHeader('retry-after', String(fault.retryAfter ?? 0));
      return fault.status === 429
        ? this.graphError(res, 429, 'TooManyRequests', 'Too many requests.')
        : this.graphError(res, 503, 'serviceNotAvailable', 'Service is unavailable.');
    }
    if (fault.status === 401) {
      return this.graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Lifetime validation failed, the token is expired.',
      );
    }
    return this.graphError(
      res,
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }

  private aadError(
    res: ServerResponse,
    status: number,
    error: string,
    code: number,
    description: string,
  ): void {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    this.json(res, status, {
      error,
      error_description:
        `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ` +
        `${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.url}/error?code=${code}`,
    });
  }

  private graphError(res: ServerResponse, status: number, code: string, message: string): void {
    this.json(res, status, {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
      },
    });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}

type DeltaList = 'users' | 'groups';

/** Where a delta or skip token resumes: a position in a change log, and its page's number. */
interface DeltaPosition {
  list: DeltaList;
  position: number;
  page: number;
}

function removedEntry(type: 'user' | 'group', id: string, reason: 'changed' | 'deleted') {
  return { '@odata.type': `#microsoft.graph.${type}`, id, '@removed': { reason } };
}

/** One Graph collection: the `$select` it expects and its items in order. */
interface GraphList {
  select: string;
  items: unknown[];
}

/** The `$filter` subset the fake understands on groups; undefined for anything else. */
function filterMatcher(filter: string): ((group: GraphGroupJson) => boolean) | undefined {
  const startsWith = /^startswith\(displayName,\s*'([^']*)'\)$/.exec(filter.trim());
  if (startsWith) return (group) => group.displayName.startsWith(startsWith[1]);
  const equals = /^displayName eq '([^']*)'$/.exec(filter.trim());
  if (equals) return (group) => group.displayName === equals[1];
  return undefined;
}

/** A typical group of the tenant with these direct members (user or group ids). */
export function graphGroup(
  n: number,
  memberIds: string[],
  overrides: Partial<GraphGroupJson> = {},
): FakeGraphGroup {
  return {
    group: {
      id: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      displayName: `Group ${n}`,
      description: `Group ${n} of Contoso`,
      ...overrides,
    },
    memberIds,
  };
}

/** A typical member of the tenant; `overrides` replace fields. */
export function graphUser(n: number, overrides: Partial<GraphUserJson> = {}): GraphUserJson {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    mail: `User${n}@Contoso.example`,
    userPrincipalName: `user${n}@contoso.example`,
    givenName: `Given${n}`,
    surname: `Surname${n}`,
    department: `Dept${n % 10}`,
    jobTitle: 'Engineer',
    accountEnabled: true,
    ...overrides,
  };
}
