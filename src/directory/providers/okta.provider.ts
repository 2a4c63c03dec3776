import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderConfig } from '../connection-config.js';
import type { OktaConfig } from '../dto/provider-configs.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
} from './directory-provider.js';
import { rateLimitWaitMs, type ProviderHttpClient } from './provider-http-client.js';

const PAGE_SIZE = 200;
/** Okta statuses of people who can sign in; SUSPENDED, DEPROVISIONED (and STAGED…) cannot. */
const ACTIVE_STATUSES = new Set(['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']);

interface OktaUser {
  id?: unknown;
  status?: unknown;
  profile?: Record<string, unknown>;
}

/**
 * Okta's Users API: `GET /api/v1/users?limit=200` with `Authorization: SSWS <token>`, paged
 * by the `Link: <…>; rel="next"` header, followed exactly as given.
 */
export class OktaProvider implements DirectoryProvider {
  readonly type = 'okta' as const;

  constructor(
    private readonly http: ProviderHttpClient,
    private readonly maxRateLimitWaitMs: number,
  ) {}

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    const config = raw as unknown as OktaConfig;
    const origin = new URL(config.orgUrl).origin;
    let next: string | undefined = `${origin}/api/v1/users?limit=${PAGE_SIZE}`;
    while (next) {
      const { body, headers } = await this.http.json(next, {
        headers: { authorization: `SSWS ${config.apiToken}` },
        signal,
        origin,
        provider: 'Okta',
      });
      if (!Array.isArray(body)) {
        throw new ProviderError('transient', 'Okta sent a user list that is not a JSON array');
      }
      yield body.map((user) => toDirectoryUser(user as OktaUser));
      next = nextLink(headers.link);
      if (next) await this.respectRateLimit(headers, signal);
    }
  }

  async test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    for await (const page of this.pages(raw, signal)) {
      return { ok: true, userCount: page.length };
    }
    return { ok: true, userCount: 0 };
  }

  /** With no calls left in the window, wait for it to reset rather than collect a 429. */
  private async respectRateLimit(
    headers: Record<string, string | string[] | undefined>,
    signal: AbortSignal,
  ): Promise<void> {
    const waitMs = rateLimitWaitMs(headers, false);
    if (waitMs) await sleep(Math.min(waitMs, this.maxRateLimitWaitMs), undefined, { signal });
  }
}

function toDirectoryUser(user: OktaUser): DirectoryUser {
  const profile = user.profile ?? {};
  return {
    externalId: typeof user.id === 'string' ? user.id : '',
    email: text(profile.email) ?? text(profile.login),
    firstName: text(profile.firstName),
    lastName: text(profile.lastName),
    department: optionalText(profile, 'department'),
    title: optionalText(profile, 'title'),
    active: typeof user.status === 'string' && ACTIVE_STATUSES.has(user.status),
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Absent: not sent (keep what we have). Present but null: cleared in Okta. */
function optionalText(profile: Record<string, unknown>, field: string): string | undefined {
  if (!(field in profile)) return undefined;
  return text(profile[field]) ?? '';
}

/** The `rel="next"` target of a Link header (RFC 8288), if any. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  for (const value of values) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/.exec(part);
      if (match && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2])) return match[1];
    }
  }
  return undefined;
}
