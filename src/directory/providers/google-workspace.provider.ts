import { createHash } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { GoogleWorkspaceConfig } from '../dto/provider-configs.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
  type GroupReader,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import {
  directoryGroup,
  idText,
  mapPages,
  membersOfListedGroup,
  withNamePrefix,
} from './group-pages.js';
import type { ProviderHttpClient } from './provider-http-client.js';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_API_BASE_URL = 'https://admin.googleapis.com';
export const GOOGLE_DIRECTORY_SCOPE =
  'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const GOOGLE_GROUP_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.readonly';
/** The Directory API's largest pages: users, then groups and members. */
const PAGE_SIZE = 500;
const GROUP_PAGE_SIZE = 200;
/** Assertions live for the longest Google accepts. */
const ASSERTION_LIFETIME_S = 3600;
/** A cached access token is replaced this long before Google says it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** Partial response: only what we map, not phones, addresses, aliases... of 500 users. */
const FIELDS =
  'nextPageToken,users(id,primaryEmail,name(givenName,familyName),' +
  'organizations(primary,department,title),suspended,archived,isEnrolledIn2Sv)';
const GROUP_FIELDS = 'nextPageToken,groups(id,name,description)';
const MEMBER_FIELDS = 'nextPageToken,members(id,type)';
/** 403 reasons that mean "slow down", not "forbidden". */
const THROTTLE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'quotaExceeded']);

const PROVIDER = 'Google Workspace';

interface GoogleUser {
  id?: unknown;
  primaryEmail?: unknown;
  name?: { givenName?: unknown; familyName?: unknown };
  organizations?: unknown;
  suspended?: unknown;
  archived?: unknown;
  isEnrolledIn2Sv?: unknown;
}

interface GoogleGroup {
  id?: unknown;
  name?: unknown;
  description?: unknown;
}

interface GoogleMember {
  id?: unknown;
  /** USER, GROUP (a nested group) or CUSTOMER (everyone in the account). */
  type?: unknown;
}

/** A Directory API list: the key of its items, and what reading it takes, for messages. */
interface Collection {
  key: 'users' | 'groups' | 'members';
  privilege: string;
}
const USERS: Collection = { key: 'users', privilege: 'Users > Read' };
const GROUPS: Collection = { key: 'groups', privilege: 'Groups > Read' };
const MEMBERS: Collection = { key: 'members', privilege: 'Groups > Read' };

interface GoogleOrganization {
  primary?: unknown;
  department?: unknown;
  title?: unknown;
}

interface CachedToken {
  accessToken: string;
  /** Epoch ms after which the token is not used any more (expiry minus the margin). */
  usableUntil: number;
}

/** The Directory API said 401 to a token we hold: it was revoked or expired early. */
class StaleTokenError extends ProviderError {}

/**
 * Google Workspace's Admin SDK Directory API, read through a service account with
 * domain-wide delegation: an RS256 JWT assertion (iss = the service account, sub = the
 * delegated admin) exchanged for an access token at the token URL (jwt-bearer grant), then
 * `GET /admin/directory/v1/users?customer=…&maxResults=500`, paged by `nextPageToken`; groups
 * and their members likewise (see openGroups), with the group scope added to the assertion.
 */
export class GoogleWorkspaceProvider implements DirectoryProvider {
  readonly type = 'google-workspace' as const;
  /** Access tokens by token URL, service account, admin and key. */
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests under way, by the same key. */
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(private readonly http: ProviderHttpClient) {}

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    const config = raw as unknown as GoogleWorkspaceConfig;
    const query = { customer: customerOf(config), maxResults: String(PAGE_SIZE), fields: FIELDS };
    yield* mapPages(
      this.list<GoogleUser>(config, '/admin/directory/v1/users', query, USERS, signal),
      toDirectoryUser,
    );
  }

  /**
   * `groups.list` of the customer, narrowed to `groupNamePrefix` here rather than by Google's
   * group search, whose index lags behind by up to 36 hours (a listing must be complete to
   * remove groups); `members.list` of each group, keeping the USER members: a nested group's
   * people with `flattenNestedGroups` (`includeDerivedMembership`), never the CUSTOMER member.
   */
  openGroups(raw: ProviderConfig, signal: AbortSignal): GroupReader | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as GoogleWorkspaceConfig;
    const list = <T>(path: string, query: Record<string, string>, what: Collection) =>
      this.list<T>(config, path, query, what, signal);
    const groupQuery = {
      customer: customerOf(config),
      maxResults: String(GROUP_PAGE_SIZE),
      fields: GROUP_FIELDS,
    };
    const memberQuery = {
      maxResults: String(GROUP_PAGE_SIZE),
      fields: MEMBER_FIELDS,
      ...(config.flattenNestedGroups ? { includeDerivedMembership: 'true' } : {}),
    };
    return {
      groups() {
        const pages = list<GoogleGroup>('/admin/directory/v1/groups', groupQuery, GROUPS);
        return withNamePrefix(
          mapPages(pages, (g) => directoryGroup(g.id, g.name, g.description)),
          config.groupNamePrefix,
        );
      },
      async *members(group) {
        const path = `/admin/directory/v1/groups/${encodeURIComponent(group.externalId)}/members`;
        const pages = list<GoogleMember>(path, memberQuery, MEMBERS);
        for await (const page of membersOfListedGroup(pages, PROVIDER, group)) {
          yield page.filter((member) => member.type === 'USER').map((member) => idText(member.id));
        }
      },
    };
  }

  test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    return testFirstPages(this, raw, signal);
  }

  /** Every page of one Directory API list, following `nextPageToken`. */
  private async *list<T>(
    config: GoogleWorkspaceConfig,
    path: string,
    query: Record<string, string>,
    what: Collection,
    signal: AbortSignal,
  ): AsyncIterable<T[]> {
    const origin = new URL(config.baseUrl ?? GOOGLE_API_BASE_URL).origin;
    let pageToken: string | undefined;
    do {
      const url = new URL(path, origin);
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const body = await this.getPage(config, url.toString(), origin, what, signal);
      // Like an empty directory, an empty list has no key at all.
      const items = body[what.key] ?? [];
      if (!Array.isArray(items)) {
        throw new ProviderError(
          'transient',
          `${PROVIDER} sent a ${what.key} list that is not an array`,
        );
      }
      yield items as T[];
      pageToken = typeof body.nextPageToken === 'string' ? body.nextPageToken : undefined;
    } while (pageToken);
  }

  /** One page; a 401 drops the cached token and the page is asked once more with a new one. */
  private async getPage(
    config: GoogleWorkspaceConfig,
    url: string,
    origin: string,
    what: Collection,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(config, signal);
      try {
        const { body } = await this.http.json(url, {
          headers: { authorization: `Bearer ${token}` },
          signal,
          origin,
          provider: PROVIDER,
          classifyError: (status, errorBody) => classifyApiError(status, errorBody, what),
        });
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new ProviderError('transient', `${PROVIDER} sent a response that is not an object`);
        }
        return body as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof StaleTokenError)) throw error;
        this.tokens.delete(cacheKey(config));
        if (attempt > 0) throw new ProviderError('auth', error.message);
      }
    }
  }

  /** A cached access token, or a new one; concurrent syncs of one account share a request. */
  private async accessToken(config: GoogleWorkspaceConfig, signal: AbortSignal): Promise<string> {
    const key = cacheKey(config);
    const cached = this.tokens.get(key);
    if (cached && cached.usableUntil > Date.now()) return cached.accessToken;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.requestToken(config, signal);
      this.pending.set(key, pending);
      void pending
        .then((token) => {
          this.sweep();
          this.tokens.set(key, token);
        })
        .catch(() => undefined)
        .finally(() => this.pending.delete(key));
    }
    return (await pending).accessToken;
  }

  /** Forgets expired tokens, so the cache holds at most one per live connection. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, token] of this.tokens) if (token.usableUntil <= now) this.tokens.delete(key);
  }

  private async requestToken(
    config: GoogleWorkspaceConfig,
    signal: AbortSignal,
  ): Promise<CachedToken> {
    const tokenUrl = config.tokenUrl ?? GOOGLE_TOKEN_URL;
    const assertion = await signAssertion(config, tokenUrl);
    const started = Date.now();
    const { body } = await this.http.json(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString(),
      signal,
      origin: new URL(tokenUrl).origin,
      provider: `${PROVIDER} token endpoint`,
      classifyError: (status, errorBody) => classifyTokenError(status, errorBody, config),
    });
    const answer = (body ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (typeof answer.access_token !== 'string' || !answer.access_token) {
      throw new ProviderError('transient', `${PROVIDER} token endpoint sent no access_token`);
    }
    const expiresInS = typeof answer.expires_in === 'number' ? answer.expires_in : 3600;
    return {
      accessToken: answer.access_token,
      usableUntil: started + expiresInS * 1000 - TOKEN_EXPIRY_MARGIN_MS,
    };
  }
}

/** The users scope, and the groups scope when the connection syncs groups. */
function scopesOf(config: GoogleWorkspaceConfig): string[] {
  const wanted = config as unknown as ProviderConfig;
  return syncsGroups(wanted)
    ? [GOOGLE_DIRECTORY_SCOPE, GOOGLE_GROUP_SCOPE]
    : [GOOGLE_DIRECTORY_SCOPE];
}

/** The signed jwt-bearer assertion; a key that does not parse is the admin's to fix. */
async function signAssertion(config: GoogleWorkspaceConfig, tokenUrl: string): Promise<string> {
  let key: Awaited<ReturnType<typeof importPKCS8>>;
  try {
    // Pasted from the JSON key file, the PEM may still carry its escaped newlines.
    key = await importPKCS8(config.privateKey.replace(/\\n/g, '\n').trim(), 'RS256');
  } catch {
    throw new ProviderError(
      'config',
      `The ${PROVIDER} service account private key cannot be read: paste the "private_key" ` +
        "value of the service account's JSON key file (an RSA key, -----BEGIN PRIVATE KEY-----)",
    );
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: scopesOf(config).join(' ') })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(config.serviceAccountEmail)
    .setSubject(config.delegatedAdminEmail)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_S)
    .sign(key);
}

/**
 * The token endpoint's OAuth errors (`{error, error_description}`) in words an admin can act
 * on. Anything refused is `auth`: retrying the same assertion will not help.
 */
function classifyTokenError(
  _status: number,
  body: unknown,
  config: GoogleWorkspaceConfig,
): ProviderError | undefined {
  const { error, error_description: description } = (body ?? {}) as Record<string, unknown>;
  if (typeof error !== 'string') return undefined;
  const detail = typeof description === 'string' && description ? `: ${description}` : '';
  switch (error) {
    case 'unauthorized_client':
      return new ProviderError(
        'auth',
        `Google refused the service account: domain-wide delegation is not granted for this ` +
          `scope (unauthorized_client). In the Admin console (Security > API controls > ` +
          `Domain-wide delegation) authorise the service account's client ID for ` +
          scopesOf(config).join(',') +
          (syncsGroups(config as unknown as ProviderConfig)
            ? ' (or set syncGroups to false to read users only)'
            : ''),
      );
    case 'invalid_grant':
      return new ProviderError(
        'auth',
        `Google refused the service account's assertion (invalid_grant${detail}): check that ` +
          `the key is still active on ${config.serviceAccountEmail} and that ` +
          `${config.delegatedAdminEmail} is an existing admin user of the domain`,
      );
    case 'invalid_client':
      return new ProviderError(
        'auth',
        `Google does not know the service account ${config.serviceAccountEmail} ` +
          `(invalid_client${detail}): check serviceAccountEmail and that the account is enabled`,
      );
    default:
      return undefined;
  }
}

/** Google's API error body: `{"error": {"code", "message", "errors": [{"reason"}], "status"}}`. */
function classifyApiError(
  status: number,
  body: unknown,
  what: Collection,
): ProviderError | undefined {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : undefined;
  const reasons = Array.isArray(error?.errors)
    ? (error.errors as { reason?: unknown }[]).map((e) => e?.reason)
    : [];
  const detail = message ? `: ${message}` : '';
  if (status === 401) {
    return new StaleTokenError('auth', `${PROVIDER} refused the access token (401)${detail}`);
  }
  if (status === 403 && reasons.some((r) => typeof r === 'string' && THROTTLE_REASONS.has(r))) {
    return new ProviderError('transient', `${PROVIDER} rate limit reached (403)${detail}`);
  }
  if (
    status === 403 &&
    (reasons.includes('accessNotConfigured') || error?.status === 'SERVICE_DISABLED')
  ) {
    return new ProviderError(
      'config',
      `The Admin SDK API is not enabled for the service account's Google Cloud project${detail}`,
    );
  }
  if (status === 403) {
    return new ProviderError(
      'auth',
      `${PROVIDER} refused to list ${what.key} (403)${detail}: the delegated admin needs the ` +
        `${what.privilege} admin privilege`,
    );
  }
  return undefined;
}

function cacheKey(config: GoogleWorkspaceConfig): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        config.tokenUrl ?? GOOGLE_TOKEN_URL,
        config.serviceAccountEmail,
        config.delegatedAdminEmail,
        config.privateKey,
        scopesOf(config),
      ]),
    )
    .digest('hex');
}

function customerOf(config: GoogleWorkspaceConfig): string {
  return config.customerId ?? 'my_customer';
}

function toDirectoryUser(user: GoogleUser): DirectoryUser {
  const organization = primaryOrganization(user.organizations);
  return {
    externalId: idText(user.id),
    email: text(user.primaryEmail),
    firstName: text(user.name?.givenName),
    lastName: text(user.name?.familyName),
    // Google sends the whole user: an organization (or a field of it) absent is one removed.
    department: text(organization?.department) ?? '',
    title: text(organization?.title) ?? '',
    active: user.suspended !== true && user.archived !== true,
    mfaEnabled: typeof user.isEnrolledIn2Sv === 'boolean' ? user.isEnrolledIn2Sv : undefined,
  };
}

/** The organization marked primary, else the first one. */
function primaryOrganization(organizations: unknown): GoogleOrganization | undefined {
  if (!Array.isArray(organizations)) return undefined;
  const all = organizations.filter(
    (o): o is GoogleOrganization => typeof o === 'object' && o !== null,
  );
  return all.find((o) => o.primary === true) ?? all[0];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
