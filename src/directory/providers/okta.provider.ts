import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { OktaConfig } from '../dto/provider-configs.js';
import type {
  ConnectionTestResult,
  DirectoryProvider,
  DirectoryUser,
  GroupReader,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import { idText, mapPages, membersOfListedGroup } from './group-pages.js';
import {
  GROUP_PAGE_SIZE,
  OktaApi,
  toDirectoryGroup,
  toDirectoryUser,
  USER_PAGE_SIZE,
  type OktaPage,
} from './okta-api.js';
import { OktaChangeFeed } from './okta-feed.js';
import type { ProviderHttpClient } from './provider-http-client.js';

/**
 * Okta's Users and Groups APIs: `GET /api/v1/users`, `GET /api/v1/groups` (narrowed by the
 * connection's `groupFilter` as Okta's `search`) and `GET /api/v1/groups/{id}/users`; and
 * its change feed (okta-feed.ts) for incremental cycles.
 */
export class OktaProvider implements DirectoryProvider {
  readonly type = 'okta' as const;
  readonly feed: OktaChangeFeed;
  private readonly api: OktaApi;

  constructor(http: ProviderHttpClient, maxRateLimitWaitMs: number) {
    this.api = new OktaApi(http, maxRateLimitWaitMs);
    this.feed = new OktaChangeFeed(this.api);
  }

  pages(config: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    return mapPages(
      items(this.api.list(config, `/api/v1/users?limit=${USER_PAGE_SIZE}`, signal)),
      toDirectoryUser,
    );
  }

  openGroups(raw: ProviderConfig, signal: AbortSignal): GroupReader | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as OktaConfig;
    const query = new URLSearchParams({ limit: String(GROUP_PAGE_SIZE) });
    if (config.groupFilter) query.set('search', config.groupFilter);
    const list = (path: string) => items(this.api.list(raw, path, signal));
    return {
      groups: () => mapPages(list(`/api/v1/groups?${query.toString()}`), toDirectoryGroup),
      members: (group) => {
        const path = `/api/v1/groups/${encodeURIComponent(group.externalId)}/users`;
        const pages = membersOfListedGroup(list(`${path}?limit=${GROUP_PAGE_SIZE}`), 'Okta', group);
        return mapPages(pages, (user) => idText((user as { id?: unknown }).id));
      },
    };
  }

  test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    return testFirstPages(this, raw, signal);
  }
}

/** A list's items, page by page, without the headers. */
async function* items(pages: AsyncIterable<OktaPage>): AsyncIterable<unknown[]> {
  for await (const page of pages) yield page.items;
}
