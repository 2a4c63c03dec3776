import { Pool } from 'undici';
import { providerUrlProblem } from '../directory/network-policy.js';
import {
  findProviderError,
  guardedLookup,
  networkReason,
  retryAfterMs,
} from '../directory/providers/provider-http-client.js';

export interface WebhookSenderOptions {
  /** DIRECTORY_ALLOW_PRIVATE_NETWORKS: allow http: and loopback/private addresses. */
  allowPrivateNetworks: boolean;
  /** WEBHOOK_TIMEOUT_MS: the whole answer (status, headers and body) within this. */
  timeoutMs: number;
  /** Keep-alive connections kept per endpoint (its concurrency bound). */
  connectionsPerEndpoint: number;
}

/** What one POST came to. */
export type SendOutcome =
  | { kind: 'answered'; status: number; durationMs: number; retryAfterMs?: number }
  /** No answer (timeout, refused, reset): retried. */
  | { kind: 'unreachable'; durationMs: number; error: string }
  /** The network policy refuses the URL or the address it resolves to: never retried. */
  | { kind: 'refused'; durationMs: number; error: string };

/** The most of an answer's body we read (to keep the connection reusable), the rest dropped. */
const MAX_BODY_BYTES = 64 * 1024;
/** Pools kept at most; the least recently opened one is closed beyond it. */
const MAX_POOLS = 1000;

/**
 * Sends deliveries: keep-alive connections per endpoint (an undici Pool each, so endpoints
 * on one host never queue behind each other's slow answers), every connection's address
 * checked against the network policy when it is resolved, a timeout on the whole answer,
 * redirects not followed (a 3xx is a failed attempt).
 */
export class WebhookSender {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: WebhookSenderOptions) {}

  /** Nest calls this on shutdown: idle keep-alive sockets are closed. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }

  async post(
    endpointId: string,
    url: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const problem = providerUrlProblem(url, this.options.allowPrivateNetworks);
    if (problem) return { kind: 'refused', durationMs: 0, error: `the URL ${problem}` };
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const target = new URL(url);
      const response = await this.pool(endpointId, target.origin).request({
        method: 'POST',
        path: `${target.pathname}${target.search}`,
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal: AbortSignal.any([signal, timeout]),
      });
      await drain(response.body);
      const status = response.statusCode;
      const wait = status === 429 || status === 503 ? retryAfterMs(response.headers) : undefined;
      return { kind: 'answered', status, durationMs: elapsed(), retryAfterMs: wait };
    } catch (error) {
      if (signal.aborted) throw error;
      const refusal = findProviderError(error);
      if (refusal) return { kind: 'refused', durationMs: elapsed(), error: refusal.message };
      const reason = timeout.aborted
        ? `no answer within ${this.options.timeoutMs} ms`
        : `could not be reached (${networkReason(error)})`;
      return { kind: 'unreachable', durationMs: elapsed(), error: reason };
    }
  }

  /** The endpoint's pool for its origin now (a changed URL gets a new one). */
  private pool(endpointId: string, origin: string): Pool {
    const key = `${endpointId} ${origin}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { lookup: guardedLookup(this.options.allowPrivateNetworks) },
        connections: this.options.connectionsPerEndpoint,
        keepAliveTimeout: 30_000,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      this.pools.set(key, pool);
      if (this.pools.size > MAX_POOLS) {
        const [oldest, stale] = this.pools.entries().next().value!;
        this.pools.delete(oldest);
        void stale.close();
      }
    }
    return pool;
  }
}

/** Reads up to MAX_BODY_BYTES of an answer; a longer one is cut off (its socket closed). */
async function drain(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read > MAX_BODY_BYTES) {
      body.destroy();
      return;
    }
  }
}
