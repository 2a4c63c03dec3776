import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeEntra, graphUser } from './fakes/fake-entra.js';
import { NO_GROUP_CHANGES, providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

let t: TestApp;
let entra: FakeEntra;
let acme: TestCompany;
let secrets = 0;

const SELECT = 'id,mail,userPrincipalName,givenName,surname,department,jobTitle,accountEnabled';
const FIRST_PAGE = `/v1.0/users?$select=${SELECT}&$top=999`;

/**
 * The run's requests for the users' full listing (groups follow them: test/sync-groups; the
 * change feed's `/users/delta` requests: test/entra-delta and test/sync-entra-delta).
 */
const userRequests = () => entra.graphRequests.filter((r) => r.url.startsWith('/v1.0/users?'));

const users = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => graphUser(from + i));

/** A secret of its own gives a connection a token cache entry of its own. */
function newSecret(): string {
  const secret = `Q8~secret-${++secrets}`;
  entra.clientSecrets.push(secret);
  return secret;
}

const {
  createConnection,
  sync: harnessSync,
  syncError: failure,
  employee,
  connection,
} = providerHarness({
  app: () => t,
  company: () => acme,
  connection: {
    name: 'Entra ID',
    type: 'entra-id',
    deprovisionThresholdPercent: 50,
    config: () => ({
      tenantId: entra.tenantId,
      clientId: entra.clientId,
      clientSecret: newSecret(),
      authorityHost: entra.url,
      graphBaseUrl: entra.url,
    }),
  },
});

beforeAll(async () => {
  t = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true', PROVIDER_RETRY_BASE_MS: '1' });
  entra = new FakeEntra();
  await entra.start();
  acme = await createCompany(t, 'Contoso');
});
afterAll(async () => {
  await entra.stop();
  await t.close();
});
/**
 * This spec is about full cycles, and changes the fake's users in place (not through its
 * change log): without a cursor, every run is one.
 */
const forgetCursors = () => t.db.query('DELETE FROM sync_cursor');

async function sync(...args: Parameters<typeof harnessSync>) {
  await forgetCursors();
  return harnessSync(...args);
}

beforeEach(async () => {
  entra.reset();
  await forgetCursors();
});

describe('an Entra ID sync streams Microsoft Graph users into the roster', () => {
  let id: string;
  beforeAll(async () => {
    entra.users = users(0, 1200);
    id = await createConnection();
  });

  it('creates everyone, with a client-credentials token and $select/$top paging', async () => {
    const stats = await sync(id);
    expect(stats).toEqual({
      fetched: 1200,
      created: 1200,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      skipped: 0,
      ...NO_GROUP_CHANGES,
      mode: 'full',
      modeReason: expect.any(String),
    });
    expect(entra.tokenRequests).toHaveLength(1);
    expect(entra.tokenRequests[0]).toEqual({
      tenant: entra.tenantId,
      form: {
        client_id: entra.clientId,
        client_secret: expect.stringMatching(/^Q8~secret-/),
        scope: 'https://graph.microsoft.com/.default',
        grant_type: 'client_credentials',
      },
    });
    expect(userRequests().map((r) => r.url)).toEqual([
      FIRST_PAGE,
      expect.stringMatching(/^\/v1\.0\/users\?\$select=.*&\$top=999&\$skiptoken=\S+$/),
    ]);
    expect(userRequests().every((r) => /^Bearer \S+$/.test(r.authorization ?? ''))).toBe(true);
    expect(await employee('user7@contoso.example')).toMatchObject({
      email: 'user7@contoso.example',
      firstName: 'Given7',
      lastName: 'Surname7',
      department: 'Dept7',
      title: 'Engineer',
      active: true,
      mfaEnabled: null,
      connectionId: id,
      externalId: graphUser(7).id,
    });
    expect(await connection(id)).toMatchObject({ status: 'ACTIVE', lastSyncCount: 1200 });
  });

  it('changes nothing on a re-sync, and reuses the cached token', async () => {
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 1200, created: 0, updated: 0, unchanged: 1200 });
    expect(entra.tokenRequests).toHaveLength(0);
  });

  it('updates what changed: null clears, an absent key keeps ours', async () => {
    const changed = users(0, 1200);
    changed[1] = graphUser(1, { jobTitle: 'Principal Engineer' });
    delete changed[2].department; // not sent: keep ours
    changed[3] = graphUser(3, { department: null }); // sent empty: cleared
    entra.users = changed;
    const stats = await sync(id);
    expect(stats).toMatchObject({ created: 0, updated: 2, unchanged: 1198 });
    expect(await employee('user1@contoso.example')).toMatchObject({ title: 'Principal Engineer' });
    expect(await employee('user2@contoso.example')).toMatchObject({ department: 'Dept2' });
    expect(await employee('user3@contoso.example')).toMatchObject({ department: null });
  });

  it('deactivates disabled accounts and people who left, and reactivates returners', async () => {
    const remaining = users(0, 1190);
    remaining[5] = graphUser(5, { accountEnabled: false });
    entra.users = remaining;
    const stats = await sync(id);
    expect(stats.deactivated).toBe(11);
    expect(await employee('user5@contoso.example')).toMatchObject({ active: false });
    expect(await employee('user1195@contoso.example')).toMatchObject({
      active: false,
      deactivatedAt: expect.any(String),
    });

    entra.users = users(0, 1191);
    const back = await sync(id);
    expect(back).toMatchObject({ updated: 2, deactivated: 0 });
    expect(await employee('user5@contoso.example')).toMatchObject({
      active: true,
      deactivatedAt: null,
    });
  });

  it('uses the UPN when mail is null, and skips guests with neither', async () => {
    entra.users = [
      graphUser(5000, { mail: null, userPrincipalName: 'Upn.Only@contoso.example' }),
      graphUser(5001, { mail: '', userPrincipalName: 'empty.mail@contoso.example' }),
      graphUser(5002, {
        mail: null,
        userPrincipalName: 'guest_gmail.com#EXT#@contoso.onmicrosoft.com',
      }),
      ...users(0, 1191),
    ];
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 1194, created: 2, skipped: 1 });
    expect(await employee('upn.only@contoso.example')).toMatchObject({
      externalId: graphUser(5000).id,
      active: true,
    });
    expect(await employee('empty.mail@contoso.example')).toBeDefined();
  });
});

describe('paging, throttling and tokens', () => {
  let id: string;
  beforeAll(async () => {
    entra.users = users(10_000, 12_500);
    id = await createConnection();
  });

  it('follows @odata.nextLink across many pages of 999 with one token', async () => {
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 2500, created: 2500, skipped: 0 });
    expect(userRequests()).toHaveLength(3);
    expect(userRequests()[0].url).toBe(FIRST_PAGE);
    expect(
      userRequests()
        .slice(1)
        .every((r) => r.url.includes('$skiptoken=')),
    ).toBe(true);
    expect(entra.tokenRequests).toHaveLength(1);
    expect(new Set(userRequests().map((r) => r.authorization)).size).toBe(1);
  });

  it('waits out a 429 and retries the page', async () => {
    entra.pageFaults.set(1, { status: 429, retryAfter: 0 });
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 2500, unchanged: 2500 });
    const urls = userRequests().map((r) => r.url);
    expect(urls).toHaveLength(4);
    expect(urls[1]).toBe(urls[2]);
  });

  it('honours Retry-After on a 503 before retrying', async () => {
    entra.pageFaults.set(2, { status: 503, retryAfter: 1 });
    const stats = await sync(id);
    expect(stats.fetched).toBe(2500);
    const [, , throttled, retried] = userRequests();
    expect(retried.url).toBe(throttled.url);
    expect(retried.at - throttled.at).toBeGreaterThanOrEqual(900);
  });

  it('gives up on a page that keeps failing: retryable, nothing deactivated', async () => {
    entra.users = users(10_000, 12_000);
    for (let i = 0; i < 10; i++) entra.graphFaults.push({ status: 503 });
    const error = await failure(id);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Microsoft Graph answered 503: Service is unavailable/);
    const inactive = await t.db.query(
      `SELECT count(*)::int AS n FROM employee WHERE source_connection_id = $1 AND NOT active`,
      [id],
    );
    expect(inactive[0].n).toBe(0);
    entra.users = users(10_000, 12_500);
  });

  it('renews the token shortly before it expires', async () => {
    const shortLived = await createConnection();
    entra.users = users(20_000, 20_010);
    entra.expiresIn = 2; // renewed after half its life
    await sync(shortLived);
    await sync(shortLived);
    expect(entra.tokenRequests).toHaveLength(1);
    await sleep(1100);
    await sync(shortLived);
    expect(entra.tokenRequests).toHaveLength(2);
    entra.users = users(10_000, 12_500);
  });

  it('drops a token Graph no longer accepts and retries the page once with a new one', async () => {
    entra.revokeTokens(); // the cached token is now refused mid-run
    const stats = await sync(id);
    expect(stats.fetched).toBe(2500);
    expect(entra.tokenRequests).toHaveLength(1);
    // The run's first request (the change feed's start) is the one refused, then retried.
    const [refused, retried] = entra.graphRequests;
    expect(retried.url).toBe(refused.url);
    expect(retried.authorization).not.toBe(refused.authorization);
    expect(userRequests()).toHaveLength(3);
  });

  it('treats a second 401 for the same page as an auth failure', async () => {
    entra.graphFaults.push({ status: 401 }, { status: 401 });
    const error = await failure(id);
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Microsoft Graph refused the credentials \(401\)/);
    expect(userRequests()).toHaveLength(2);
  });

  it('names the missing permission on a 403', async () => {
    entra.graphFaults.push({ status: 403 });
    const error = await failure(id);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/Insufficient privileges/);
    expect(error.message).toMatch(/User\.Read\.All, with admin consent/);
  });
});

describe('credentials Entra ID refuses', () => {
  beforeAll(() => {
    entra.users = users(0, 10);
  });

  it('a bad client secret is an auth error, not retryable, and the secret stays out', async () => {
    const id = await createConnection({ clientSecret: 'not-the-secret' });
    const error = await failure(id);
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('Entra ID rejected the client secret (invalid_client)');
    const conn = await connection(id);
    expect(conn).toMatchObject({
      status: 'ERROR',
      lastError: 'Entra ID rejected the client secret (invalid_client)',
    });
    expect(JSON.stringify(conn)).not.toContain('not-the-secret');
    expect(userRequests()).toHaveLength(0);
  });

  it('an unknown application is an auth error naming unauthorized_client', async () => {
    const id = await createConnection({ clientId: 'a0a0a0a0-0000-0000-0000-000000000000' });
    const error = await failure(id);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/client id a0a0a0a0-.*\(unauthorized_client\)/);
  });

  it('an unknown tenant is a config error', async () => {
    const id = await createConnection({ tenantId: 'nowhere.onmicrosoft.com' });
    const error = await failure(id);
    expect(error.kind).toBe('config');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/does not know the tenant nowhere\.onmicrosoft\.com/);
  });

  it('a nextLink to another host is refused', async () => {
    entra.users = users(0, 1500);
    entra.nextLinkBase = 'https://graph.elsewhere.example';
    const id = await createConnection();
    const error = await failure(id);
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/pointed to https:\/\/graph\.elsewhere\.example, outside/);
    expect(userRequests()).toHaveLength(1);
  });
});

describe('POST /api/directory/:id/test', () => {
  it('answers ok with the first page count, or the reason in words', async () => {
    entra.users = users(0, 1500);
    const id = await createConnection();
    const ok = await t
      .http()
      .post(`/api/directory/${id}/test`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(ok.body).toEqual({ ok: true, userCount: 999, groupCount: 0 });

    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ config: { clientSecret: 'wrong' } })
      .expect(200);
    const refused = await t
      .http()
      .post(`/api/directory/${id}/test`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(refused.body).toEqual({
      ok: false,
      error: 'Entra ID rejected the client secret (invalid_client)',
    });
  });
});
