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
const MEMBERS = /^\/v1\.0\/groups\/([^/]+)\/(members|transitiveMembers)\/microsoft\.graph\.user$/;

/**
 * A local Entra ID tenant and Microsoft Graph speaking the real wire format: the v2.0 token
 * endpoint (client-credentials grant, form body, Azure AD's `{error, error_description:
 * "AADSTS…", error_codes}` errors), and `GET /v1.0/users` with `$select`/`$top` (max 999)
 * paged by an absolute `@odata.nextLink` carrying an opaque `$skiptoken`, bearer tokens that
 * expire, Graph's `{error: {code, message, innerError}}` errors, 429/503 with Retry-After.
 * Groups likewise: `GET /v1.0/groups` with `$select`/`$top` and a `$filter` subset
 * (`startswith(displayName,'…')`, `displayName eq '…'`), and a group's user members, direct
 * (`/members/microsoft.graph.user`) or flattened (`/transitiveMembers/microsoft.graph.user`).
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
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token) return this.tokenEndpoint(decodeURIComponent(token[1]), req, res);
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
    const members = MEMBERS.exec(url.pathname);
    if (!members) return undefined;
    const group = this.groups.find((g) => g.group.id === decodeURIComponent(members[1]));
    if (!group) return undefined;
    const direct = (id: string) => this.groups.find((g) => g.group.id === id)?.memberIds;
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
    this.graphRequests.push({
      url: url.pathname + url.search,
      authorization: req.headers.authorization,
      at: Date.now(),
    });
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) {
      return this.graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    }
    const expiry = this.tokens.get(bearer);
    if (expiry === undefined) {
      return this.graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience.',
      );
    }
    if (expiry <= Date.now()) {
      return this.graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Lifetime validation failed, the token is expired.',
      );
    }
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
