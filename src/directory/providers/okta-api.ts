import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderConfig } from '../connection-config.js';
import type { OktaConfig } from '../dto/provider-configs.js';
import { ProviderError, type DirectoryGroup, type DirectoryUser } from './directory-provider.js';
import { directoryGroup, idText } from './group-pages.js';
import { rateLimitWaitMs, type ProviderHttpClient } from './provider-http-client.js';

/** Okta's largest pages of users (lists and searches alike). */
export const USER_PAGE_SIZE = 200;
/** Okta's largest pages for groups and a group's users. */
export const GROUP_PAGE_SIZE = 1000;
/** Okta statuses of people who can sign in; SUSPENDED, DEPROVISIONED (and STAGED…) cannot. */
const ACTIVE_STATUSES = new Set(['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']);

interface OktaUser {
  id?: unknown;
  status?: unknown;
  profile?: Record<string, unknown>;
}

interface OktaGroup {
  id?: unknown;
  profile?: Record<string, unknown>;
}

/** One page of an Okta list, with the headers it came with (Link, Date, rate limits). */
export interface OktaPage {
  items: unknown[];
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Okta's list endpoints with `Authorization: SSWS <token>`, paged by the
 * `Link: <…>; rel="next"` header, followed exactly as given, pausing when the rate-limit
 * window is used up. Shared by the full reading (OktaProvider) and the change feed.
 */
export class OktaApi {
  constructor(
    private readonly http: ProviderHttpClient,
    private readonly maxRateLimitWaitMs: number,
  ) {}

  /** Every page of one Okta list, from `pathAndQuery` on the org's origin. */
  async *list(
    config: ProviderConfig,
    pathAndQuery: string,
    signal: AbortSignal,
  ): AsyncIterable<OktaPage> {
    let next: string | undefined = pathAndQuery;
    while (next) {
      const page = await this.page(config, next, signal);
      yield page;
      next = nextLink(page.headers.link);
      if (next) await this.respectRateLimit(page.headers, signal);
    }
  }

  /** One page: `pathAndQuery` on the org's origin, or a `next` link (an absolute URL). */
  async page(raw: ProviderConfig, url: string, signal: AbortSignal): Promise<OktaPage> {
    const config = raw as unknown as OktaConfig;
    const origin = new URL(config.orgUrl).origin;
    const { body, headers } = await this.http.json(new URL(url, origin).toString(), {
      headers: { authorization: `SSWS ${config.apiToken}` },
      signal,
      origin,
      provider: 'Okta',
    });
    if (!Array.isArray(body)) {
      throw new ProviderError('transient', 'Okta sent a list that is not a JSON array');
    }
    return { items: body, headers };
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

export function toDirectoryUser(user: unknown): DirectoryUser {
  const { id, status, profile = {} } = user as OktaUser;
  return {
    externalId: idText(id),
    email: text(profile.email) ?? text(profile.login),
    firstName: text(profile.firstName),
    lastName: text(profile.lastName),
    department: optionalText(profile, 'department'),
    title: optionalText(profile, 'title'),
    active: typeof status === 'string' && ACTIVE_STATUSES.has(status),
  };
}

export function toDirectoryGroup(group: unknown): DirectoryGroup {
  const { id, profile } = group as OktaGroup;
  return directoryGroup(id, profile?.name, profile?.description);
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
