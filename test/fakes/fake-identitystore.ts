import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A user as the identity store's ListUsers returns it (AWS JSON 1.1 wire format). */
export interface IdentityStoreUserJson {
  IdentityStoreId?: string;
  UserId: string;
  UserName?: string;
  Name?: { GivenName?: string; FamilyName?: string; Formatted?: string };
  DisplayName?: string;
  Emails?: { Value?: string; Type?: string; Primary?: boolean }[];
  Title?: string;
  UserStatus?: 'ENABLED' | 'DISABLED';
  /** Returned only when the request asks for the extension. */
  department?: string;
}

/** A group as ListGroups returns it. */
export interface IdentityStoreGroupJson {
  GroupId: string;
  DisplayName: string;
  Description?: string;
}

/** A group of the fake store and the UserIds of its members. */
export interface FakeIdentityStoreGroup {
  group: IdentityStoreGroupJson;
  memberIds: string[];
}

/** What a request gets instead of its page (consumed in order). */
export type IdentityStoreFault =
  | { error: 'ThrottlingException'; retryAfterSeconds?: number }
  | { error: 'InternalServerException' }
  | { error: 'AccessDeniedException' }
  | { status: 200; rawBody: string };

export interface RecordedRequest {
  target?: string;
  contentType?: string;
  accessKeyId?: string;
  body: Record<string, unknown>;
}

const SERVICE = 'identitystore';
const GROUP_TARGETS = new Set([
  'AWSIdentityStore.ListGroups',
  'AWSIdentityStore.ListGroupMemberships',
]);

/**
 * A local AWS Identity Store speaking the real protocol: AWS JSON 1.1 (`POST /`,
 * `X-Amz-Target: AWSIdentityStore.ListUsers`, `.ListGroups`, `.ListGroupMemberships`), SigV4
 * requests verified against the configured key pair, `MaxResults`/`NextToken` paging with
 * opaque tokens, and AWS's error shape (`x-amzn-errortype` header and `{"__type", "message"}`
 * body).
 */
export class FakeIdentityStore {
  readonly identityStoreId = 'd-9067a1b2c3';
  readonly accessKeyId = 'AKIAFAKEIDENTITY0001';
  readonly secretAccessKey = 'fake/secret+Key0123456789abcdefghijklmnop';
  readonly region = 'eu-west-1';
  /** ListUsers requests (and any request that is not a group one). */
  readonly requests: RecordedRequest[] = [];
  /** ListGroups and ListGroupMemberships requests. */
  readonly groupRequests: RecordedRequest[] = [];
  faults: IdentityStoreFault[] = [];
  /** Faults consumed when the request for this page number (0-based) of users arrives. */
  pageFaults = new Map<number, IdentityStoreFault>();
  /**
   * Faults consumed when the request for a page of another list arrives, keyed
   * `ListGroups@<page>` or `ListGroupMemberships:<GroupId>@<page>`.
   */
  listFaults = new Map<string, IdentityStoreFault>();
  private users: IdentityStoreUserJson[] = [];
  private groups: FakeIdentityStoreGroup[] = [];
  private server?: Server;

  setUsers(users: IdentityStoreUserJson[]): void {
    this.users = users;
  }

  setGroups(groups: FakeIdentityStoreGroup[]): void {
    this.groups = groups;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
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

  private handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const target = header(req, 'x-amz-target');
    const credential = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      header(req, 'authorization') ?? '',
    );
    let body: Record<string, unknown>;
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return this.error(res, 400, 'SerializationException', 'Malformed request body');
    }
    const log = GROUP_TARGETS.has(target ?? '') ? this.groupRequests : this.requests;
    log.push({
      target,
      contentType: header(req, 'content-type'),
      accessKeyId: credential?.[1],
      body,
    });

    if (req.method !== 'POST' || req.url !== '/') {
      return this.error(res, 404, 'UnknownOperationException', 'Unknown operation');
    }
    if (!credential) {
      return this.error(
        res,
        400,
        'MissingAuthenticationTokenException',
        'Missing Authentication Token',
      );
    }
    if (credential[1] !== this.accessKeyId) {
      return this.error(
        res,
        400,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    }
    if (
      credential[3] !== this.region ||
      credential[4] !== SERVICE ||
      !this.signatureValid(req, raw)
    ) {
      return this.error(
        res,
        400,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    if (header(req, 'content-type') !== 'application/x-amz-json-1.1') {
      return this.error(res, 400, 'SerializationException', 'Unexpected content type');
    }
    if (target === 'AWSIdentityStore.ListUsers') return this.listUsers(body, res);
    if (target === 'AWSIdentityStore.ListGroups') return this.listGroups(body, res);
    if (target === 'AWSIdentityStore.ListGroupMemberships') return this.listMemberships(body, res);
    return this.error(res, 400, 'UnknownOperationException', `Unknown operation ${target}`);
  }

  private listUsers(body: Record<string, unknown>, res: ServerResponse): void {
    const page = this.page(
      body,
      res,
      (n) => this.pageFaults.get(n),
      (n) => this.pageFaults.delete(n),
    );
    if (!page) return;
    const withEnterprise =
      Array.isArray(body.Extensions) && body.Extensions.includes('aws:identitystore:enterprise');
    const users = this.users.map(({ department, ...user }) => ({
      IdentityStoreId: this.identityStoreId,
      ...user,
      ...(withEnterprise && department !== undefined
        ? { Extensions: { 'aws:identitystore:enterprise': { department } } }
        : {}),
    }));
    this.sendPage(res, 'Users', users, page);
  }

  private listGroups(body: Record<string, unknown>, res: ServerResponse): void {
    const page = this.page(body, res, ...this.listFault('ListGroups'));
    if (!page) return;
    const groups = this.groups.map(({ group }) => ({
      IdentityStoreId: this.identityStoreId,
      ...group,
    }));
    this.sendPage(res, 'Groups', groups, page);
  }

  private listMemberships(body: Record<string, unknown>, res: ServerResponse): void {
    const group = this.groups.find((g) => g.group.GroupId === body.GroupId);
    if (body.IdentityStoreId === this.identityStoreId && !group) {
      return this.error(res, 400, 'ResourceNotFoundException', 'Group not found', {
        ResourceType: 'GROUP',
        ResourceId: body.GroupId,
      });
    }
    const page = this.page(
      body,
      res,
      ...this.listFault(`ListGroupMemberships:${String(body.GroupId)}`),
    );
    if (!page || !group) return;
    const memberships = group.memberIds.map((UserId, i) => ({
      IdentityStoreId: this.identityStoreId,
      MembershipId: `m-${group.group.GroupId}-${i}`,
      GroupId: group.group.GroupId,
      MemberId: { UserId },
    }));
    this.sendPage(res, 'GroupMemberships', memberships, page);
  }

  /** Finds and consumes the listFaults entry of a page of `list`. */
  private listFault(
    list: string,
  ): [(page: number) => IdentityStoreFault | undefined, (page: number) => void] {
    return [
      (n) => this.listFaults.get(`${list}@${n}`),
      (n) => this.listFaults.delete(`${list}@${n}`),
    ];
  }

  /**
   * The page a list request asks for (its offset and size), after checking the store, the
   * size and the token and applying a fault; undefined when an error or fault answered.
   */
  private page(
    body: Record<string, unknown>,
    res: ServerResponse,
    pageFault: (page: number) => IdentityStoreFault | undefined,
    consume: (page: number) => void,
  ): { offset: number; size: number } | undefined {
    if (body.IdentityStoreId !== this.identityStoreId) {
      this.error(res, 400, 'ResourceNotFoundException', 'Identity store not found', {
        ResourceType: 'IDENTITY_STORE',
        ResourceId: body.IdentityStoreId,
      });
      return undefined;
    }
    const size = body.MaxResults === undefined ? 100 : Number(body.MaxResults);
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      this.error(res, 400, 'ValidationException', 'MaxResults must be between 1 and 100');
      return undefined;
    }
    let offset = 0;
    if (body.NextToken !== undefined) {
      const decoded = decodeToken(body.NextToken, this.identityStoreId);
      if (decoded === undefined) {
        this.error(res, 400, 'ValidationException', 'The pagination token is invalid');
        return undefined;
      }
      offset = decoded;
    }
    const pageNumber = Math.floor(offset / size);
    const fault = pageFault(pageNumber) ?? this.faults.shift();
    consume(pageNumber);
    if (fault && this.apply(fault, res)) return undefined;
    return { offset, size };
  }

  private sendPage(
    res: ServerResponse,
    key: string,
    items: unknown[],
    page: { offset: number; size: number },
  ): void {
    const end = Math.min(page.offset + page.size, items.length);
    const answer: Record<string, unknown> = { [key]: items.slice(page.offset, end) };
    if (end < items.length) answer.NextToken = encodeToken(end, this.identityStoreId);
    this.send(res, 200, answer);
  }

  /** True when the fault answered the request. */
  private apply(fault: IdentityStoreFault, res: ServerResponse): boolean {
    if ('rawBody' in fault) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(fault.rawBody);
      return true;
    }
    if (fault.error === 'ThrottlingException') {
      if (fault.retryAfterSeconds !== undefined) {
        res.setHeader('retry-after', String(fault.retryAfterSeconds));
      }
      this.error(res, 400, 'ThrottlingException', 'Rate exceeded');
      return true;
    }
    if (fault.error === 'InternalServerException') {
      this.error(res, 500, 'InternalServerException', 'An internal error occurred');
      return true;
    }
    this.error(
      res,
      403,
      'AccessDeniedException',
      `User: arn:aws:iam::123456789012:user/sync is not authorized to perform: identitystore:ListUsers`,
    );
    return true;
  }

  /** Recomputes the SigV4 signature with the configured secret. */
  private signatureValid(req: IncomingMessage, body: Buffer): boolean {
    const authorization = header(req, 'authorization') ?? '';
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    const amzDate = header(req, 'x-amz-date');
    if (!match || !amzDate) return false;
    const [, credential, signedHeaders, signature] = match;
    const scope = credential.split('/').slice(1).join('/');
    const [date, region, service] = scope.split('/');
    const canonicalHeaders = signedHeaders
      .split(';')
      .map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
      .join('');
    const canonicalRequest = [
      req.method,
      '/',
      '',
      canonicalHeaders,
      signedHeaders,
      sha256(body),
    ].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${this.secretAccessKey}`, date);
    for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
    const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private error(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    extra: Record<string, unknown> = {},
  ): void {
    res.setHeader(
      'x-amzn-errortype',
      `${type}:http://internal.amazon.com/coral/com.amazonaws.identitystore/`,
    );
    this.send(res, status, { __type: type, message, ...extra });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res
      .writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${this.requests.length}`,
      })
      .end(JSON.stringify(body));
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Opaque to clients, like AWS's: the offset and the store it belongs to. */
function encodeToken(offset: number, storeId: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: storeId, v: 1 })).toString('base64url');
}

function decodeToken(token: unknown, storeId: string): number | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      o?: unknown;
      s?: unknown;
    };
    return parsed.s === storeId && Number.isInteger(parsed.o) ? (parsed.o as number) : undefined;
  } catch {
    return undefined;
  }
}

/** A typical identity store group of these members (UserIds). */
export function awsGroup(
  n: number,
  memberIds: string[],
  overrides: Partial<IdentityStoreGroupJson> = {},
): FakeIdentityStoreGroup {
  return {
    group: {
      GroupId: `9067${String(n).padStart(8, '0')}-9999-bbbb-cccc-${String(n).padStart(12, '0')}`,
      DisplayName: `Group ${n}`,
      Description: `Group ${n} of Acme`,
      ...overrides,
    },
    memberIds,
  };
}

/** A typical identity store user; `overrides` replace top-level fields. */
export function awsUser(
  n: number,
  overrides: Partial<IdentityStoreUserJson> = {},
): IdentityStoreUserJson {
  return {
    UserId: `9067${String(n).padStart(8, '0')}-aaaa-bbbb-cccc-${String(n).padStart(12, '0')}`,
    UserName: `user${n}`,
    Name: { GivenName: `First${n}`, FamilyName: `Last${n}`, Formatted: `First${n} Last${n}` },
    DisplayName: `First${n} Last${n}`,
    Emails: [{ Value: `User${n}@Acme.example`, Type: 'work', Primary: true }],
    Title: 'Engineer',
    department: `Dept${n % 10}`,
    ...overrides,
  };
}
