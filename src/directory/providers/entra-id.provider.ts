import { createHash } from 'node:crypto';
import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { EntraIdConfig } from '../dto/provider-configs.js';
import {
  ProviderError,
  type ChangeFeed,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
  type GroupReader,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import { EntraDeltaFeed } from './entra-delta.js';
import {
  DEFAULT_GRAPH_BASE_URL,
  graphBase,
  GRAPH_PROVIDER,
  GROUP_SELECT,
  GROUPS,
  PAGE_SIZE,
  toDirectoryUser,
  trimSlash,
  USER_SELECT,
  USERS,
  type Collection,
  type GraphGroup,
  type GraphPage,
  type GraphUser,
} from './entra-graph.js';
import { directoryGroup, idText, membersOfListedGroup } from './group-pages.js';
import type { JsonRequest, ProviderHttpClient } from './provider-http-client.js';

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** National clouds have Graph hosts of their own, and tokens scoped to them. */
const NATIONAL_GRAPH_HOSTS = new Set([
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);
/** A token is renewed this long before it expires (or at half its life, if that is shorter). */
const TOKEN_RENEW_MARGIN_MS = 60_000;
const TOKEN_PROVIDER = 'Entra ID';

interface CachedToken {
  accessToken: string;
  /** Epoch ms after which we ask for a new one. */
  renewAt: number;
}

/**
 * Microsoft Entra ID through Microsoft Graph: an app-only token from the OAuth 2.0
 * client-credentials grant at `{authorityHost}/{tenantId}/oauth2/v2.0/token`, then
 * `GET {graphBaseUrl}/v1.0/users?$select=…&$top=999`, paged by `@odata.nextLink`, followed
 * exactly as given; groups and their members likewise (see openGroups). The app needs the
 * Graph application permissions `User.Read.All` (and `GroupMember.Read.All` for groups) with
 * admin consent.
 */
export class EntraIdProvider implements DirectoryProvider {
  readonly type = 'entra-id' as const;
  /** Tokens by (authority, tenant, client, secret hash): one per app, shared by its runs. */
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly http: ProviderHttpClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Graph delta queries on users and, when the connection syncs them, groups. */
  readonly feed: ChangeFeed = new EntraDeltaFeed((raw, url, what, signal, classifyError) =>
    this.list(raw, url, what, signal, classifyError),
  );

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    const url = `${graphBase(raw)}/v1.0/users?$select=${USER_SELECT}&$top=${PAGE_SIZE}`;
    for await (const page of this.list(raw, url, USERS, signal)) {
      yield (page.value as GraphUser[]).map(toDirectoryUser);
    }
  }

  /**
   * Groups: `GET /v1.0/groups?$select=id,displayName,description&$top=999` (and the
   * connection's `groupFilter` as `$filter`); members: the group's user members only
   * (`/members/microsoft.graph.user`), or with `flattenNestedGroups` every user in the group
   * or in a group nested in it, at any depth (`/transitiveMembers/microsoft.graph.user`).
   */
  openGroups(raw: ProviderConfig, signal: AbortSignal): GroupReader | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as EntraIdConfig;
    const query = `$select=${GROUP_SELECT}&$top=${PAGE_SIZE}`;
    const filter = config.groupFilter ? `&$filter=${encodeURIComponent(config.groupFilter)}` : '';
    const relation = config.flattenNestedGroups ? 'transitiveMembers' : 'members';
    const base = graphBase(raw);
    const list = (path: string) => this.list(raw, `${base}${path}`, GROUPS, signal);
    return {
      async *groups() {
        for await (const page of list(`/v1.0/groups?${query}${filter}`)) {
          yield (page.value as GraphGroup[]).map((g) =>
            directoryGroup(g.id, g.displayName, g.description),
          );
        }
      },
      async *members(group) {
        const path = `/v1.0/groups/${encodeURIComponent(group.externalId)}/${relation}`;
        const pages = list(`${path}/microsoft.graph.user?$select=id&$top=${PAGE_SIZE}`);
        for await (const page of membersOfListedGroup(valuesOf(pages), GRAPH_PROVIDER, group)) {
          yield (page as GraphUser[]).map((user) => idText(user.id));
        }
      },
    };
  }

  test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    return testFirstPages(this, raw, signal);
  }

  /**
   * Every page of one Graph collection from `url`, following `@odata.nextLink` exactly as
   * given, on the configured Graph host only (the HTTP client refuses any other).
   * `classifyError` reads a refusal the caller's way (a delta link Graph no longer accepts).
   */
  private async *list(
    raw: ProviderConfig,
    url: string,
    what: Collection,
    signal: AbortSignal,
    classifyError?: JsonRequest['classifyError'],
  ): AsyncIterable<GraphPage> {
    const config = raw as unknown as EntraIdConfig;
    const origin = new URL(graphBase(raw)).origin;
    let next: string | undefined = url;
    while (next) {
      const body = await this.getPage(config, next, origin, what, signal, classifyError);
      if (typeof body !== 'object' || body === null || !Array.isArray(body.value)) {
        throw new ProviderError(
          'transient',
          `Microsoft Graph sent a ${what.noun} list without a "value" array`,
        );
      }
      next = link(body['@odata.nextLink']);
      yield { value: body.value as unknown[], deltaLink: link(body['@odata.deltaLink']) };
    }
  }

  /**
   * One page. A 401 may mean the token expired (or was revoked) under us: the page is asked
   * for once more with a fresh token, and a second 401 is the answer.
   */
  private async getPage(
    config: EntraIdConfig,
    url: string,
    origin: string,
    what: Collection,
    signal: AbortSignal,
    classifyError: JsonRequest['classifyError'],
  ): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(config, signal);
      try {
        const { body } = await this.http.json(url, {
          headers: { authorization: `Bearer ${token}` },
          signal,
          origin,
          provider: GRAPH_PROVIDER,
          classifyError,
        });
        return body as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof ProviderError) || error.kind !== 'auth') throw error;
        if (statusOf(error) === 401 && attempt === 0) {
          this.tokens.delete(cacheKey(config));
          continue;
        }
        if (statusOf(error) === 403) {
          throw new ProviderError(
            'auth',
            `${error.message} — the app registration needs the Microsoft Graph application ` +
              `permission ${what.permission}, with admin consent granted`,
          );
        }
        throw error;
      }
    }
  }

  private async token(config: EntraIdConfig, signal: AbortSignal): Promise<string> {
    const key = cacheKey(config);
    const cached = this.tokens.get(key);
    if (cached && cached.renewAt > this.now()) return cached.accessToken;

    const authority = trimSlash(config.authorityHost ?? DEFAULT_AUTHORITY_HOST);
    const graphOrigin = new URL(config.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).origin;
    const url = `${authority}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`;
    let body: unknown;
    try {
      ({ body } = await this.http.json(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: config.clientId,
          client_secret: config.clientSecret,
          scope: scopeFor(graphOrigin),
          grant_type: 'client_credentials',
        }).toString(),
        signal,
        origin: new URL(authority).origin,
        provider: TOKEN_PROVIDER,
      }));
    } catch (error) {
      throw error instanceof ProviderError ? tokenError(error, config) : error;
    }
    const { access_token: accessToken, expires_in: expiresIn } = (body ?? {}) as Record<
      string,
      unknown
    >;
    if (typeof accessToken !== 'string' || !accessToken) {
      throw new ProviderError('transient', 'Entra ID sent a token response without access_token');
    }
    const lifetimeMs = Math.max(0, Number(expiresIn) || 0) * 1000;
    const renewAt = this.now() + lifetimeMs - Math.min(TOKEN_RENEW_MARGIN_MS, lifetimeMs / 2);
    this.forgetExpired();
    this.tokens.set(key, { accessToken, renewAt });
    return accessToken;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [key, token] of this.tokens) if (token.renewAt <= now) this.tokens.delete(key);
  }
}

function cacheKey(config: EntraIdConfig): string {
  const secret = createHash('sha256').update(config.clientSecret).digest('hex');
  const authority = trimSlash(config.authorityHost ?? DEFAULT_AUTHORITY_HOST);
  return JSON.stringify([authority, config.tenantId.toLowerCase(), config.clientId, secret]);
}

function scopeFor(graphOrigin: string): string {
  const host = new URL(graphOrigin).hostname;
  return NATIONAL_GRAPH_HOSTS.has(host) ? `https://${host}/.default` : GRAPH_SCOPE;
}

/**
 * The token endpoint's refusal in words an admin can act on. Entra ID answers with an OAuth
 * `error` code and an `error_description` starting with its AADSTS number; the shared client
 * puts the description (or, without one, the code) in its message.
 */
export function tokenError(error: ProviderError, config: EntraIdConfig): ProviderError {
  const text = error.message;
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
  const has = (code: string) => text.includes(code);
  if (aadsts === '7000222') {
    return new ProviderError(
      'auth',
      'Entra ID rejected the client secret: it has expired; create a new one (invalid_client)',
    );
  }
  if (aadsts === '7000215' || aadsts === '7000216' || has('invalid_client')) {
    return new ProviderError('auth', 'Entra ID rejected the client secret (invalid_client)');
  }
  if (aadsts === '700016' || has('unauthorized_client')) {
    return new ProviderError(
      'auth',
      `Entra ID does not know an application with client id ${config.clientId} in tenant ` +
        `${config.tenantId}; check clientId and tenantId (unauthorized_client)`,
    );
  }
  if (aadsts === '90002' || aadsts === '900023' || aadsts === '90023' || has('invalid_tenant')) {
    return new ProviderError(
      'config',
      `Entra ID does not know the tenant ${config.tenantId}; check tenantId (a directory ` +
        'GUID or a domain such as contoso.onmicrosoft.com)',
    );
  }
  if (aadsts === '1002012' || aadsts === '70011' || has('invalid_scope')) {
    return new ProviderError('config', `Entra ID refused the scope (invalid_scope): ${text}`);
  }
  return error;
}

/** The HTTP status the shared client put in its message ("… refused the credentials (401)"). */
function statusOf(error: ProviderError): number | undefined {
  const match = /\((\d{3})\)/.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

async function* valuesOf(pages: AsyncIterable<GraphPage>): AsyncIterable<unknown[]> {
  for await (const page of pages) yield page.value;
}

function link(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}
