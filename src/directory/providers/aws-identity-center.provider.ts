import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdentitystoreClient,
  ListUsersCommand,
  type ListUsersCommandOutput,
  type User,
} from '@aws-sdk/client-identitystore';
import type { ConfigService } from '@nestjs/config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AppConfig } from '../../config/config.schema.js';
import type { ProviderConfig } from '../connection-config.js';
import type { AwsIdentityCenterConfig } from '../dto/provider-configs.js';
import { providerUrlProblem } from '../network-policy.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import {
  guardedLookup,
  rateLimitWaitMs,
  type ProviderHttpOptions,
} from './provider-http-client.js';

/** ListUsers' largest page. */
const PAGE_SIZE = 100;
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
    'AWS denied access to the identity store; the access key needs identitystore:ListUsers',
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
 * official SDK, paged by `NextToken`. The SDK's own retries are off: throttling and 5xx are
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
      let nextToken: string | undefined;
      do {
        const output = await this.listUsers(client, config, nextToken, signal);
        const users = output.Users ?? [];
        if (!Array.isArray(users)) {
          throw new ProviderError('transient', `${PROVIDER} sent a user list that is not a list`);
        }
        if (output.NextToken && output.NextToken === nextToken) {
          throw new ProviderError('transient', `${PROVIDER} sent the same NextToken twice`);
        }
        nextToken = output.NextToken || undefined;
        if (users.length) yield users.map(toDirectoryUser);
      } while (nextToken);
    } finally {
      client.destroy();
    }
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

  /** One page, retried in place while AWS throttles or fails on its side. */
  private async listUsers(
    client: IdentitystoreClient,
    config: AwsIdentityCenterConfig,
    nextToken: string | undefined,
    signal: AbortSignal,
  ): Promise<ListUsersCommandOutput> {
    const command = new ListUsersCommand({
      IdentityStoreId: config.identityStoreId,
      MaxResults: PAGE_SIZE,
      NextToken: nextToken,
      Extensions: [ENTERPRISE_EXTENSION],
    });
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      try {
        return await client.send(command, { abortSignal: AbortSignal.any([signal, timeout]) });
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
