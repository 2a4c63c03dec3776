import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from './directory-provider.js';
import { ProviderHttpClient, rateLimitWaitMs, type JsonRequest } from './provider-http-client.js';

const options = {
  allowPrivateNetworks: false,
  timeoutMs: 1000,
  retryBaseMs: 1,
  maxRetries: 2,
  maxRateLimitWaitMs: 1000,
};

function init(origin: string, signal = new AbortController().signal): JsonRequest {
  return { origin, signal, provider: 'Test IdP' };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('rateLimitWaitMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads Retry-After seconds and dates, and Okta reset times when throttled', () => {
    expect(rateLimitWaitMs({ 'retry-after': '7' }, true, now)).toBe(7000);
    expect(rateLimitWaitMs({ 'retry-after': '7' }, false, now)).toBe(7000);
    expect(rateLimitWaitMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, true, now)).toBe(
      30_000,
    );
    const reset = (seconds: number) => ({ 'x-rate-limit-reset': String(now / 1000 + seconds) });
    expect(rateLimitWaitMs(reset(12), true, now)).toBe(12_000);
    expect(rateLimitWaitMs(reset(-5), true, now)).toBe(0);
    expect(rateLimitWaitMs({}, true, now)).toBeUndefined();
  });

  it('ignores the reset of a window that is not used up unless throttled', () => {
    const headers = (remaining: string) => ({
      'x-rate-limit-remaining': remaining,
      'x-rate-limit-reset': String(now / 1000 + 60),
    });
    expect(rateLimitWaitMs(headers('599'), false, now)).toBeUndefined();
    expect(rateLimitWaitMs(headers('0'), false, now)).toBe(60_000);
    expect(rateLimitWaitMs(headers('599'), true, now)).toBe(60_000);
  });
});

describe('the SSRF guard', () => {
  const client = new ProviderHttpClient(options);
  afterAll(() => client.onApplicationShutdown());

  it('refuses plain http and loopback/private literals', async () => {
    for (const url of ['http://example.com/x', 'https://127.0.0.1:1/x', 'https://[::1]:1/x']) {
      const error = await failure(client.json(url, init(new URL(url).origin)));
      expect(error.kind).toBe('config');
      expect(error.message).toMatch(/DIRECTORY_ALLOW_PRIVATE_NETWORKS/);
    }
  });

  it('refuses link-local and metadata addresses even when private networks are allowed', async () => {
    const permissive = new ProviderHttpClient({ ...options, allowPrivateNetworks: true });
    try {
      for (const url of ['https://169.254.169.254/latest', 'http://[fd00:ec2::254]/x']) {
        const error = await failure(permissive.json(url, init(new URL(url).origin)));
        expect(error.kind).toBe('config');
        expect(error.message).toMatch(/link-local or cloud metadata address/);
      }
    } finally {
      await permissive.onApplicationShutdown();
    }
  });

  it('refuses a host name that resolves to a loopback address', async () => {
    // /etc/hosts names for ::1 or 127.0.0.1 that the literal check does not know.
    const name = await firstResolvable(['ip6-localhost', 'ip6-loopback', 'localhost.localdomain']);
    if (!name) return;
    const error = await failure(client.json(`https://${name}:1/x`, init(`https://${name}:1`)));
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/resolves to .*loopback or private/);
  });

  it('refuses URLs outside the configured origin', async () => {
    const error = await failure(
      client.json('https://evil.example/x', init('https://acme.okta.com')),
    );
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/outside the configured https:\/\/acme.okta.com/);
  });
});

describe('talking to a server', () => {
  let server: Server;
  let origin: string;
  let handler: (url: string) => { status: number; headers?: Record<string, string>; body?: string };
  const client = new ProviderHttpClient({ ...options, allowPrivateNetworks: true });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const answer = handler(req.url ?? '/');
      if (answer.status === 0) return; // never answer
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.onApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('follows a same-origin redirect and refuses one to another origin', async () => {
    handler = (url) =>
      url === '/moved'
        ? { status: 302, headers: { location: '/here' } }
        : url === '/here'
          ? { status: 200, body: '[1]' }
          : { status: 302, headers: { location: 'http://localhost:1/elsewhere' } };
    expect((await client.json(`${origin}/moved`, init(origin))).body).toEqual([1]);
    const error = await failure(client.json(`${origin}/away`, init(origin)));
    expect(error.message).toMatch(/pointed to http:\/\/localhost:1/);
  });

  it('gives up on a request that does not answer in time, as a transient error', async () => {
    handler = () => ({ status: 0 });
    const quick = new ProviderHttpClient({
      ...options,
      allowPrivateNetworks: true,
      timeoutMs: 50,
      maxRetries: 0,
    });
    const error = await failure(quick.json(`${origin}/slow`, init(origin)));
    expect(error.kind).toBe('transient');
    expect(error.message).toBe('Test IdP did not answer within 50 ms');
    await quick.onApplicationShutdown();
  });

  it('stops at once when the caller aborts', async () => {
    handler = () => ({ status: 0 });
    const controller = new AbortController();
    const pending = client.json(`${origin}/slow`, init(origin, controller.signal));
    controller.abort();
    await expect(pending).rejects.toHaveProperty('name', 'AbortError');
  });

  it('does not wait in place for a rate limit longer than allowed', async () => {
    handler = () => ({ status: 429, headers: { 'retry-after': '3600' } });
    const error = await failure(client.json(`${origin}/limited`, init(origin)));
    expect(error.kind).toBe('transient');
    expect(error.retryAfterMs).toBe(3_600_000);
  });

  it('classifies 401/403 as auth and other 4xx as config', async () => {
    handler = (url) => ({
      status: Number(url.slice(1)),
      body: JSON.stringify({ error: { message: 'nope' } }),
    });
    expect((await failure(client.json(`${origin}/401`, init(origin)))).kind).toBe('auth');
    expect((await failure(client.json(`${origin}/403`, init(origin)))).kind).toBe('auth');
    const notFound = await failure(client.json(`${origin}/404`, init(origin)));
    expect(notFound.kind).toBe('config');
    expect(notFound.message).toBe('Test IdP answered 404: nope');
  });
});

async function firstResolvable(names: string[]): Promise<string | undefined> {
  for (const name of names) {
    try {
      await lookup(name);
      return name;
    } catch {
      // not in this machine's hosts file
    }
  }
  return undefined;
}
