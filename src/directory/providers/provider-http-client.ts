import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { addressRefusal, classifyAddress, providerUrlProblem } from '../network-policy.js';
import { ProviderError } from './directory-provider.js';

export interface ProviderHttpOptions {
  /** DIRECTORY_ALLOW_PRIVATE_NETWORKS: allow http: and loopback/private addresses. */
  allowPrivateNetworks: boolean;
  /** One request, headers and body. */
  timeoutMs: number;
  /** Backoff base between retries of a 5xx or a network error: base, 2×base, 4×base. */
  retryBaseMs: number;
  /** Retries of one request (5xx, network errors, 429) before giving up. */
  maxRetries: number;
  /** The longest a 429 may make us wait in place; longer, and the job retries later. */
  maxRateLimitWaitMs: number;
  /**
   * Told of every request's result (metrics): the HTTP status, or `timeout` / `network`
   * when no answer came. Not called for requests the caller aborted.
   */
  onResult?: (provider: string, status: string) => void;
}

export interface JsonRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as is (the caller sets the content type). */
  body?: string;
  signal: AbortSignal;
  /**
   * The origin the connection was configured with. Requests, redirects and pagination links
   * elsewhere are refused: a provider's answer must not steer us to another host.
   */
  origin: string;
  /** Names the provider in error messages: "Okta answered 401 …". */
  provider: string;
  /**
   * Reads a 4xx answer (other than 429) the provider's way, from its status and JSON body
   * (undefined when not JSON): a ProviderError to throw instead of the default
   * classification (a `transient` one is retried in place like a 429), or undefined to keep
   * the default. An error it throws itself reaches the caller as is, unretried (a change
   * feed's cursor the provider no longer accepts).
   */
  classifyError?: (status: number, body: unknown) => ProviderError | undefined;
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const MAX_REDIRECTS = 3;

/**
 * The HTTP client every provider uses: per-request timeout, caller's AbortSignal, SSRF guard
 * on the resolved address, same-origin redirects, 429 handled by waiting for the provider's
 * reset time, transient failures retried with backoff, and errors classified for the queue.
 */
export class ProviderHttpClient {
  private readonly agent: Agent;

  constructor(private readonly options: ProviderHttpOptions) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(options.allowPrivateNetworks) },
      keepAliveTimeout: 10_000,
    });
  }

  /** Nest calls this on shutdown: idle keep-alive sockets are closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  async json(url: string, init: JsonRequest): Promise<JsonResponse> {
    let target = this.checkTarget(url, init);
    let redirects = 0;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(target, init);
      if (outcome.kind === 'done') return outcome.response;
      if (outcome.kind === 'redirect') {
        if (++redirects > MAX_REDIRECTS) {
          throw new ProviderError('config', `${init.provider} redirected too many times`);
        }
        target = this.checkTarget(new URL(outcome.location, target).toString(), init);
        attempt--;
        continue;
      }
      const waitMs = outcome.waitMs ?? this.options.retryBaseMs * 2 ** attempt;
      if (attempt >= this.options.maxRetries || waitMs > this.options.maxRateLimitWaitMs) {
        throw outcome.error;
      }
      await sleep(waitMs, undefined, { signal: init.signal });
    }
  }

  private checkTarget(url: string, init: JsonRequest): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ProviderError('config', `${init.provider} gave an invalid URL`);
    }
    if (parsed.origin !== new URL(init.origin).origin) {
      throw new ProviderError(
        'config',
        `${init.provider} pointed to ${parsed.origin}, outside the configured ${init.origin}`,
      );
    }
    const problem = providerUrlProblem(parsed.toString(), this.options.allowPrivateNetworks);
    if (problem) throw new ProviderError('config', `${init.provider} URL ${problem}`);
    return parsed.toString();
  }

  private async attempt(url: string, init: JsonRequest): Promise<Outcome> {
    const signal = AbortSignal.any([init.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: init.method ?? 'GET',
        headers: { accept: 'application/json', ...init.headers },
        body: init.body,
        signal,
        dispatcher: this.agent,
      });
    } catch (error) {
      if (!init.signal.aborted) {
        const timedOut = (error as Error).name === 'TimeoutError';
        this.options.onResult?.(init.provider, timedOut ? 'timeout' : 'network');
      }
      return this.networkFailure(error, init);
    }
    const { statusCode: status, headers } = response;
    this.options.onResult?.(init.provider, String(status));

    if (status >= 300 && status < 400 && typeof headers.location === 'string') {
      await response.body.dump();
      return { kind: 'redirect', location: headers.location };
    }
    const text = await response.body.text().catch((error: unknown) => {
      if (init.signal.aborted) throw error;
      return undefined;
    });
    if (text === undefined) {
      return retry(new ProviderError('transient', `${init.provider} response was cut off`));
    }
    if (status === 429) {
      const waitMs = rateLimitWaitMs(headers, true);
      const when = waitMs === undefined ? '' : `; it resets in ${Math.ceil(waitMs / 1000)} s`;
      const message = `${init.provider} rate limit reached (429)${when}`;
      return retry(new ProviderError('transient', message, waitMs), waitMs);
    }
    if (status >= 500) {
      const waitMs = rateLimitWaitMs(headers, false);
      const message = `${init.provider} answered ${status}${detailOf(text)}`;
      return retry(new ProviderError('transient', message, waitMs), waitMs);
    }
    if (status >= 400 && init.classifyError) {
      const error = init.classifyError(status, parseJson(text));
      if (error?.kind === 'transient') {
        const waitMs = error.retryAfterMs ?? rateLimitWaitMs(headers, true);
        return retry(error, waitMs);
      }
      if (error) throw error;
    }
    if (status === 401 || status === 403) {
      throw new ProviderError(
        'auth',
        `${init.provider} refused the credentials (${status})${detailOf(text)}`,
        undefined,
        status,
      );
    }
    if (status >= 400) {
      const message = `${init.provider} answered ${status}${detailOf(text)}`;
      throw new ProviderError('config', message, undefined, status);
    }
    try {
      return { kind: 'done', response: { status, headers, body: text ? JSON.parse(text) : null } };
    } catch {
      return retry(
        new ProviderError('transient', `${init.provider} sent a response that is not JSON`),
      );
    }
  }

  private networkFailure(error: unknown, init: JsonRequest): Outcome {
    if (init.signal.aborted) throw error;
    const cause = findProviderError(error);
    if (cause) throw cause;
    const timedOut = (error as Error).name === 'TimeoutError';
    const reason = timedOut
      ? `did not answer within ${this.options.timeoutMs} ms`
      : `could not be reached (${networkReason(error)})`;
    return retry(new ProviderError('transient', `${init.provider} ${reason}`));
  }
}

/** `waitMs` undefined: the usual exponential backoff. */
type Outcome =
  | { kind: 'done'; response: JsonResponse }
  | { kind: 'redirect'; location: string }
  | { kind: 'retry'; error: ProviderError; waitMs?: number };

const retry = (error: ProviderError, waitMs?: number): Outcome => ({
  kind: 'retry',
  error,
  waitMs,
});

/**
 * How long a provider asks us to wait before the next request: `Retry-After` (seconds or an
 * HTTP date) whenever it is sent; Okta's `X-Rate-Limit-Reset` (epoch seconds of the window's
 * end) only when we were `throttled` (a 429) or the window is used up. Okta sends its
 * rate-limit headers on every answer, so a 500 with requests left in the window must not
 * wait for the window's end: undefined means the usual backoff.
 */
export function rateLimitWaitMs(
  headers: Record<string, string | string[] | undefined>,
  throttled: boolean,
  now = Date.now(),
): number | undefined {
  const retryAfter = retryAfterMs(headers, now);
  if (retryAfter !== undefined) return retryAfter;
  const windowUsedUp = headerValue(headers['x-rate-limit-remaining']) === '0';
  const reset = headerValue(headers['x-rate-limit-reset']);
  if ((throttled || windowUsedUp) && reset !== undefined && /^\d+$/.test(reset)) {
    return Math.max(0, Number(reset) * 1000 - now);
  }
  return undefined;
}

/** `Retry-After` (seconds or an HTTP date) as milliseconds from `now`, when sent. */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): number | undefined {
  const retryAfter = headerValue(headers['retry-after']);
  if (retryAfter === undefined) return undefined;
  if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value)?.trim();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The provider's own words about an error, from the usual JSON error shapes. */
function detailOf(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = body.error as Record<string, unknown> | string | undefined;
    const detail =
      body.errorSummary ??
      body.error_description ??
      (typeof error === 'object' ? error?.message : error) ??
      body.message;
    return typeof detail === 'string' && detail ? `: ${detail.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

/** The short reason a request got no answer (`ECONNREFUSED`, …). */
export function networkReason(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.code ?? err.cause?.message ?? String(error);
}

/** The ProviderError in an error's cause chain (our DNS guard's refusal, say). */
export function findProviderError(error: unknown): ProviderError | undefined {
  for (let e = error as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ProviderError) return e;
  }
  return undefined;
}

/**
 * DNS lookup that applies the network policy to every answer: checked on the address we
 * actually connect to, so a hostname that resolves (or is rebound) to an internal or
 * metadata address is refused too.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const refusal = addressRefusal(classifyAddress(address), allowPrivate);
        if (refusal) {
          const refused = new ProviderError(
            'config',
            `${hostname} resolves to ${address}, ${refusal}`,
          );
          return callback(refused, '', 0);
        }
      }
      if (options.all) return (callback as unknown as AllCallback)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

type AllCallback = (error: null, addresses: LookupAddress[]) => void;
