import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdentitystoreClient,
  ListGroupMembershipsCommand,
  ListGroupsCommand,
  ListUsersCommand,
  type Group,
  type GroupMembership,
  type User,
} from '@aws-sdk/client-identitystore';
import type { ConfigService } from '@nestjs/config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AppConfig } from '../../config/config.schema.js';
import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { AwsIdentityCenterConfig } from '../dto/provider-configs.js';
import { providerUrlProblem } from '../network-policy.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
  type GroupReader,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import { directoryGroup, mapPages, membersOfListedGroup, withNamePrefix } from './group-pages.js';
import { IdleSession } from './idle-session.js';
import {
  guardedLookup,
  rateLimitWaitMs,
  type ProviderHttpOptions,
} from './provider-http-client.js';

/** The largest page of ListUsers, ListGroups and ListGroupMemberships. */
const PAGE_SIZE = 100;
/** A group reader's SDK client is destroyed once unused for this long. */
const IDLE_CLOSE_MS = 2000;
/** The only extension ListUsers returns; it carries the department. */
const ENTERPRISE_EXTENSION = 'aws:identitystore:enterprise';
const PROVIDER = 'AWS Identity Center';

/** Error codes meaning the key pair was refused: retrying will not help. */
const AUTH_ERRORS: Record<string, string> = {
  UnrecognizedClientException: 'AWS rejected the access key',
  InvalidClientTokenId: 'AWS rejected the access key',
  InvalidSignatureException: 'AWS rejected the secret access key',
  SignatureDoesNotMatch: 'AWS rejected the secret access key',
  IncompleteSignature: 'AWS rejected the request signature',
  MissingAuthenticationToken: 'AWS received no credentials',
  ExpiredTokenException: 'AWS says the credentials have expired',
  AccessDeniedException:
    'AWS denied access to the identity store; the access key needs identitystore:ListUsers ' +
    '(and identitystore:ListGroups and identitystore:ListGroupMemberships to sync groups)',
};
const CONFIG_ERRORS = new Set(['ResourceNotFoundException', 'ValidationException']);
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/**
 * AWS IAM Identity Center's identity store: `ListUsers` (AWS JSON 1.1, SigV4) through the
 * official SDK, paged by `NextToken`; groups likewise (see openGroups). The SDK's own retries are off: throttling and 5xx are
 * retried here with the same backoff and Retry-After rules as the other providers, and every
 * failure becomes a classified ProviderError. Requests go through agents whose DNS lookup
 * refuses private addresses, and the endpoint is checked against the network policy first.
 */
export class AwsIdentityCenterProvider implements DirectoryProvider {
  readonly type = 'aws-identity-center' as const;

  constructor(private readonly options: ProviderHttpOptions) {}

  static optionsFrom(config: ConfigService<AppConfig, true>): ProviderHttpOptions {
    return {
      allowPrivateNetworks: config.get('directoryAllowPrivateNetworks', { infer: true }),
      timeoutMs: config.get('providerTimeoutMs', { infer: true }),
      retryBaseMs: config.get('providerRetryBaseMs', { infer: true }),
      maxRetries: config.get('providerMaxRetries', { infer: true }),
      maxRateLimitWaitMs: config.get('providerRateLimitMaxWaitMs', { infer: true }),
    };
  }

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    const config = raw as unknown as AwsIdentityCenterConfig;
    const client = this.client(config);
    try {
      const users = this.list<User>(config, 'user', signal, async (NextToken, abortSignal) => {
        const command = new ListUsersCommand({
          IdentityStoreId: config.identityStoreId,
          MaxResults: PAGE_SIZE,
          NextToken,
          Extensions: [ENTERPRISE_EXTENSION],
        });
        const output = await client.send(command, { abortSignal });
        return { items: output.Users, nextToken: output.NextToken };
      });
      yield* mapPages(users, toDirectoryUser);
    } finally {
      client.destroy();
    }
  }

  /**
   * `ListGroups` of the identity store, narrowed to `groupNamePrefix` as it streams (the
   * API's only filter is an exact display name), and `ListGroupMemberships` of each group,
   * whose user members are the same `UserId`s as ListUsers'. One SDK client serves the
   * reader's calls (an IdleSession).
   */
  openGroups(raw: ProviderConfig, signal: AbortSignal): GroupReader | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as AwsIdentityCenterConfig;
    const session = new IdleSession(
      () => Promise.resolve(this.client(config)),
      (client) => client.destroy(),
      IDLE_CLOSE_MS,
      signal,
    );
    const store = { IdentityStoreId: config.identityStoreId, MaxResults: PAGE_SIZE };
    const listGroups = (client: IdentitystoreClient) =>
      this.list<Group>(config, 'group', signal, async (NextToken, abortSignal) => {
        const command = new ListGroupsCommand({ ...store, NextToken });
        const output = await client.send(command, { abortSignal });
        return { items: output.Groups, nextToken: output.NextToken };
      });
    const listMembers = (client: IdentitystoreClient, GroupId: string) =>
      this.list<GroupMembership>(config, 'membership', signal, async (NextToken, abortSignal) => {
        const command = new ListGroupMembershipsCommand({ ...store, GroupId, NextToken });
        const output = await client.send(command, { abortSignal });
        return { items: output.GroupMemberships, nextToken: output.NextToken };
      });
    return {
      groups: () =>
        withNamePrefix(
          session.stream((client) =>
            mapPages(listGroups(client), (g) =>
              directoryGroup(g.GroupId, g.DisplayName, g.Description),
            ),
          ),
          config.groupNamePrefix,
        ),
      async *members(group) {
        const pages = session.stream((client) => listMembers(client, group.externalId));
        for await (const page of membersOfListedGroup(pages, PROVIDER, group)) {
          const ids = page.flatMap((membership) => membership.MemberId?.UserId ?? []);
          if (ids.length) yield ids;
        }
      },
    };
  }

  test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    return testFirstPages(this, raw, signal);
  }

  private client(config: AwsIdentityCenterConfig): IdentitystoreClient {
    const endpoint = config.endpoint ?? defaultEndpoint(config.region);
    const problem = providerUrlProblem(endpoint, this.options.allowPrivateNetworks);
    if (problem) throw new ProviderError('config', `${PROVIDER} endpoint ${problem}`);
    const lookup = guardedLookup(this.options.allowPrivateNetworks);
    return new IdentitystoreClient({
      region: config.region,
      endpoint,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        httpsAgent: new HttpsAgent({ lookup, keepAlive: true }),
        httpAgent: new HttpAgent({ lookup, keepAlive: true }),
        connectionTimeout: this.options.timeoutMs,
        requestTimeout: this.options.timeoutMs,
      }),
    });
  }

  /** Every page of one identity store list, following `NextToken`. */
  private async *list<T>(
    config: AwsIdentityCenterConfig,
    noun: string,
    signal: AbortSignal,
    fetch: (
      nextToken: string | undefined,
      abortSignal: AbortSignal,
    ) => Promise<{ items?: T[]; nextToken?: string }>,
  ): AsyncIterable<T[]> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await this.send(config, signal, (abortSignal) => fetch(token, abortSignal));
      const items = output.items ?? [];
      if (!Array.isArray(items)) {
        throw new ProviderError('transient', `${PROVIDER} sent a ${noun} list that is not a list`);
      }
      if (output.nextToken && output.nextToken === nextToken) {
        throw new ProviderError('transient', `${PROVIDER} sent the same NextToken twice`);
      }
      nextToken = output.nextToken || undefined;
      if (items.length) yield items;
    } while (nextToken);
  }

  /** One call, retried in place while AWS throttles or fails on its side. */
  private async send<O>(
    config: AwsIdentityCenterConfig,
    signal: AbortSignal,
    call: (abortSignal: AbortSignal) => Promise<O>,
  ): Promise<O> {
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      try {
        return await call(AbortSignal.any([signal, timeout]));
      } catch (error) {
        if (signal.aborted) throw error;
        const failure = timeout.aborted
          ? new ProviderError(
              'transient',
              `${PROVIDER} did not answer within ${this.options.timeoutMs} ms`,
            )
          : classifyAwsError(error, config);
        if (!failure.retryable || attempt >= this.options.maxRetries) throw failure;
        const waitMs = failure.retryAfterMs ?? this.options.retryBaseMs * 2 ** attempt;
        if (waitMs > this.options.maxRateLimitWaitMs) throw failure;
        await sleep(waitMs, undefined, { signal });
      }
    }
  }
}

/** The public regional endpoint (China regions live under amazonaws.com.cn). */
function defaultEndpoint(region: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://identitystore.${region}.${domain}`;
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  RetryAfterSeconds?: number;
  ResourceType?: string;
  cause?: unknown;
}

/** An SDK or network error as a ProviderError the queue knows how to handle. */
export function classifyAwsError(error: unknown, config: AwsIdentityCenterConfig): ProviderError {
  const own = findProviderError(error);
  if (own) return own;
  const err = (error ?? {}) as AwsErrorShape;
  const name = err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  const detail = err.message && err.message !== name ? `: ${err.message.slice(0, 300)}` : '';

  if (status === undefined && !err.$fault) {
    // No answer from AWS at all: DNS, refused connection, reset, socket timeout.
    const reason =
      err.code ??
      (err.cause as { code?: string } | undefined)?.code ??
      // The SDK wraps errors from another realm (jest's VM) in a message-only Error.
      /\b(E[A-Z0-9_]{3,})\b/.exec(err.message ?? '')?.[1] ??
      name;
    return new ProviderError('transient', `${PROVIDER} could not be reached (${reason})`);
  }
  if (THROTTLING_ERRORS.has(name) || status === 429) {
    return new ProviderError(
      'transient',
      `${PROVIDER} is throttling requests (${name})${detail}`,
      retryAfterMs(err),
    );
  }
  if (AUTH_ERRORS[name])
    return new ProviderError('auth', `${AUTH_ERRORS[name]} (${name})${detail}`);
  if (name === 'ResourceNotFoundException' && err.ResourceType === 'GROUP') {
    // A group deleted during the run: the 404 lets the group reader say so.
    return new ProviderError('config', `${PROVIDER} has no such group${detail}`, undefined, 404);
  }
  if (name === 'ResourceNotFoundException') {
    return new ProviderError(
      'config',
      `${PROVIDER} has no identity store ${config.identityStoreId} in ${config.region} (${name})${detail}`,
    );
  }
  if (CONFIG_ERRORS.has(name)) {
    return new ProviderError('config', `${PROVIDER} refused the request (${name})${detail}`);
  }
  if (err.$fault === 'server' || (status !== undefined && status >= 500)) {
    return new ProviderError(
      'transient',
      `${PROVIDER} answered ${status ?? 'a server error'} (${name})${detail}`,
      retryAfterMs(err),
    );
  }
  if (status === 401 || status === 403) {
    return new ProviderError('auth', `AWS refused the credentials (${name})${detail}`);
  }
  if (status !== undefined && status >= 200 && status < 300) {
    // A 2xx the SDK could not parse: a garbled answer, worth another try.
    return new ProviderError('transient', `${PROVIDER} sent a response that could not be read`);
  }
  return new ProviderError('config', `${PROVIDER} answered ${status} (${name})${detail}`);
}

function retryAfterMs(err: AwsErrorShape): number | undefined {
  const fromHeader = rateLimitWaitMs(
    { 'retry-after': err.$response?.headers?.['retry-after'] },
    false,
  );
  if (fromHeader !== undefined) return fromHeader;
  return typeof err.RetryAfterSeconds === 'number' ? err.RetryAfterSeconds * 1000 : undefined;
}

function findProviderError(error: unknown): ProviderError | undefined {
  for (let e = error as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ProviderError) return e;
  }
  return undefined;
}

function toDirectoryUser(user: User): DirectoryUser {
  const emails = user.Emails ?? [];
  const email = emails.find((e) => e.Primary === true && e.Value) ?? emails.find((e) => e.Value);
  return {
    externalId: user.UserId ?? '',
    email: email?.Value,
    firstName: user.Name?.GivenName,
    lastName: user.Name?.FamilyName,
    department: department(user),
    title: user.Title,
    // ListUsers has no disabled flag in every store; UserStatus, where present, is honoured.
    active: user.UserStatus !== 'DISABLED',
  };
}

/** From the enterprise extension when AWS returned it; undefined (keep ours) otherwise. */
function department(user: User): string | undefined {
  const enterprise = user.Extensions?.[ENTERPRISE_EXTENSION] as Record<string, unknown> | undefined;
  if (!enterprise || typeof enterprise !== 'object') return undefined;
  const value = enterprise.department ?? enterprise.Department;
  return typeof value === 'string' ? value : undefined;
}
