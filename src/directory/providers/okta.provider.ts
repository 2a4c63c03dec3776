import { setTimeout as sleep } from 'node:timers/promises';
import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { OktaConfig } from '../dto/provider-configs.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryGroup,
  type DirectoryProvider,
  type DirectoryUser,
  type GroupReader,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import { directoryGroup, idText, membersOfListedGroup } from './group-pages.js';
import { rateLimitWaitMs, type ProviderHttpClient } from './provider-http-client.js';

const PAGE_SIZE = 200;
/** Okta's largest pages for groups and a group's users. */
const GROUP_PAGE_SIZE = 1000;
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

/**
 * Okta's Users and Groups APIs with `Authorization: SSWS <token>`: `GET /api/v1/users`,
 * `GET /api/v1/groups` (narrowed by the connection's `groupFilter` as Okta's `search`) and
 * `GET /api/v1/groups/{id}/users`, each paged by the `Link: <…>; rel="next"` header, followed
 * exactly as given, pausing when the rate-limit window is used up.
 */
export class OktaProvider implements DirectoryProvider {
  readonly type = 'okta' as const;

  constructor(
    private readonly http: ProviderHttpClient,
    private readonly maxRateLimitWaitMs: number,
  ) {}

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    for await (const page of this.list(raw, `/api/v1/users?limit=${PAGE_SIZE}`, signal)) {
      yield page.map((user) => toDirectoryUser(user as OktaUser));
    }
  }

  openGroups(raw: ProviderConfig, signal: AbortSignal): GroupReader | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as OktaConfig;
    const query = new URLSearchParams({ limit: String(GROUP_PAGE_SIZE) });
    if (config.groupFilter) query.set('search', config.groupFilter);
    const list = (path: string) => this.list(raw, path, signal);
    return {
      async *groups() {
        for await (const page of list(`/api/v1/groups?${query.toString()}`)) {
          yield page.map((group) => oktaGroup(group as OktaGroup));
        }
      },
      async *members(group) {
        const path = `/api/v1/groups/${encodeURIComponent(group.externalId)}/users`;
        const pages = membersOfListedGroup(list(`${path}?limit=${GROUP_PAGE_SIZE}`), 'Okta', group);
        for await (const page of pages) yield page.map((user) => idText((user as OktaUser).id));
      },
    };
  }

  test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    return testFirstPages(this, raw, signal);
  }

  /** Every page of one Okta list, from `pathAndQuery` on the org's origin. */
  private async *list(
    raw: ProviderConfig,
    pathAndQuery: string,
    signal: AbortSignal,
  ): AsyncIterable<unknown[]> {
    const config = raw as unknown as OktaConfig;
    const origin = new URL(config.orgUrl).origin;
    let next: string | undefined = `${origin}${pathAndQuery}`;
    while (next) {
      const { body, headers } = await this.http.json(next, {
        headers: { authorization: `SSWS ${config.apiToken}` },
        signal,
        origin,
        provider: 'Okta',
      });
      if (!Array.isArray(body)) {
        throw new ProviderError('transient', 'Okta sent a list that is not a JSON array');
      }
      yield body;
      next = nextLink(headers.link);
      if (next) await this.respectRateLimit(headers, signal);
    }
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
    externalId: idText(user.id),
    email: text(profile.email) ?? text(profile.login),
    firstName: text(profile.firstName),
    lastName: text(profile.lastName),
    department: optionalText(profile, 'department'),
    title: optionalText(profile, 'title'),
    active: typeof user.status === 'string' && ACTIVE_STATUSES.has(user.status),
  };
}

function oktaGroup(group: OktaGroup): DirectoryGroup {
  return directoryGroup(group.id, group.profile?.name, group.profile?.description);
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
