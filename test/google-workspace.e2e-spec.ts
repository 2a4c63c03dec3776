import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  DIRECTORY_SCOPE,
  FakeGoogle,
  GROUP_SCOPE,
  googleUser,
  serviceAccountKeys,
  type GoogleUserJson,
} from './fakes/fake-google.js';
import { ANY_TIMINGS, NO_GROUP_CHANGES, providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

const SERVICE_ACCOUNT = 'directory-sync@acme-project.iam.gserviceaccount.com';
const ADMINS = ['admin@acme.example', 'admin2@acme.example', 'admin3@acme.example'];
const keys = serviceAccountKeys();

let t: TestApp;
let google: FakeGoogle;
let acme: TestCompany;

const users = (from: number, to: number, overrides: Partial<GoogleUserJson> = {}) =>
  Array.from({ length: to - from }, (_, i) => googleUser(from + i, overrides));

const {
  createConnection: createGoogleConnection,
  sync,
  syncError,
  employee,
  connection,
  testConnection: connectionTest,
} = providerHarness({
  app: () => t,
  company: () => acme,
  connection: {
    name: 'Google',
    type: 'google-workspace',
    deprovisionThresholdPercent: 20,
    config: () => ({
      serviceAccountEmail: SERVICE_ACCOUNT,
      privateKey: keys.privateKey,
      delegatedAdminEmail: ADMINS[0],
      tokenUrl: google.tokenUrl,
      baseUrl: google.url,
    }),
  },
});

const pageUrls = () => google.requests.map((r) => new URL(r.url, google.url).searchParams);

beforeAll(async () => {
  t = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true', PROVIDER_RETRY_BASE_MS: '1' });
  google = new FakeGoogle({
    serviceAccountEmail: SERVICE_ACCOUNT,
    publicKey: keys.publicKey,
    admins: ADMINS,
    customerId: 'C01acme23',
  });
  await google.start();
  acme = await createCompany(t, 'Acme');
});
afterAll(async () => {
  await google.stop();
  await t.close();
});
beforeEach(() => {
  google.faults = [];
  google.pageFaults.clear();
  google.requests.length = 0;
  google.tokenRequests.length = 0;
  google.delegatedScopes = [DIRECTORY_SCOPE, GROUP_SCOPE];
});

describe('a Google Workspace sync', () => {
  let id: string;
  beforeAll(async () => {
    google.setUsers(users(0, 1200));
    id = await createGoogleConnection();
  });

  it('signs in with a verified service-account assertion and pages through 1,200 users', async () => {
    const stats = await sync(id);
    expect(stats).toEqual({
      fetched: 1200,
      created: 1200,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      skipped: 0,
      mode: 'full',
      modeReason: expect.any(String),
      ...NO_GROUP_CHANGES,
      ...ANY_TIMINGS,
    });
    // One token, verified by the fake against the public key, used for every page.
    expect(google.tokenRequests).toHaveLength(1);
    const claims = google.tokenRequests[0].claims!;
    expect(claims).toMatchObject({
      iss: SERVICE_ACCOUNT,
      sub: ADMINS[0],
      scope: `${DIRECTORY_SCOPE} ${GROUP_SCOPE}`,
      aud: google.tokenUrl,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    const pages = pageUrls();
    expect(pages).toHaveLength(3);
    expect(pages.map((p) => [p.get('customer'), p.get('maxResults')])).toEqual([
      ['my_customer', '500'],
      ['my_customer', '500'],
      ['my_customer', '500'],
    ]);
    expect(pages[0].get('pageToken')).toBeNull();
    expect(pages[1].get('pageToken')).toEqual(expect.any(String));
    expect(new Set(google.requests.map((r) => r.token)).size).toBe(1);

    expect(await employee('user7@acme.example')).toMatchObject({
      firstName: 'First7',
      lastName: 'Last7',
      department: 'Dept7', // the primary organization, not the first
      title: 'Engineer',
      active: true,
      mfaEnabled: false,
      externalId: googleUser(7).id,
      connectionId: id,
    });
    expect(await employee('user8@acme.example')).toMatchObject({ mfaEnabled: true });
    expect(await connection(id)).toMatchObject({ status: 'ACTIVE', lastSyncCount: 1200 });
  });

  it('reuses the cached token on the next run and changes nothing', async () => {
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 1200, created: 0, updated: 0, unchanged: 1200 });
    expect(google.tokenRequests).toHaveLength(0);
    expect(google.requests).toHaveLength(3);
  });

  it('updates, and deactivates suspended, archived and removed users', async () => {
    const next = users(0, 1190);
    next[1] = googleUser(1, {
      organizations: [{ department: 'Sales', title: 'Account Executive' }],
    });
    next[2] = googleUser(2, { suspended: true });
    next[3] = googleUser(3, { archived: true });
    next[4] = googleUser(4, { isEnrolledIn2Sv: false }); // was enrolled
    next[5] = googleUser(5, { organizations: undefined });
    google.setUsers(next);

    const stats = await sync(id);
    expect(stats).toEqual({
      fetched: 1190,
      created: 0,
      updated: 3, // 1, 4 and 5 changed
      unchanged: 1187, // suspended 2 and archived 3 are deactivated at the end of the run
      deactivated: 12, // 2, 3 and the 10 removed
      skipped: 0,
      mode: 'full',
      modeReason: expect.any(String),
      ...NO_GROUP_CHANGES,
      ...ANY_TIMINGS,
    });
    expect(await employee('user1@acme.example')).toMatchObject({
      department: 'Sales',
      title: 'Account Executive',
    });
    expect(await employee('user2@acme.example')).toMatchObject({
      active: false,
      deactivatedAt: expect.any(String),
    });
    expect(await employee('user3@acme.example')).toMatchObject({ active: false });
    expect(await employee('user4@acme.example')).toMatchObject({ mfaEnabled: false });
    expect(await employee('user5@acme.example')).toMatchObject({ department: null, title: null });
    expect(await employee('user1195@acme.example')).toMatchObject({ active: false });

    google.setUsers(users(0, 1200));
    const back = await sync(id);
    expect(back).toMatchObject({ deactivated: 0, created: 0 });
    expect(await employee('user2@acme.example')).toMatchObject({
      active: true,
      deactivatedAt: null,
    });
  });

  it('retries a throttled page: 403 userRateLimitExceeded, then 429 Retry-After: 0', async () => {
    google.pageFaults.set(1, [
      { status: 403, reason: 'userRateLimitExceeded' },
      { status: 429, retryAfter: '0' },
    ]);
    const stats = await sync(id);
    expect(stats.fetched).toBe(1200);
    const offsets = pageUrls().map((p) => p.get('pageToken'));
    expect(offsets).toHaveLength(5);
    expect(offsets[1]).toEqual(offsets[2]);
    expect(offsets[2]).toEqual(offsets[3]);
    expect(google.tokenRequests).toHaveLength(0);
  });

  it('gives up on a page still throttled after the retries, as a retryable error', async () => {
    google.pageFaults.set(
      0,
      Array.from({ length: 4 }, () => ({ status: 403, reason: 'quotaExceeded' }) as const),
    );
    const error = await syncError(id);
    expect(error.kind).toBe('transient');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Google Workspace rate limit reached \(403\)/);
  });

  it('takes a new token when the API says 401 mid-run, and retries that page once', async () => {
    google.revokeTokens();
    google.pageFaults.set(2, [{ status: 401 }]);
    const stats = await sync(id);
    expect(stats.fetched).toBe(1200);
    // Page 0 with the revoked token, then again with a new one; page 2 refused once.
    expect(google.requests).toHaveLength(5);
    expect(google.tokenRequests).toHaveLength(2);
    expect(google.requests[0].token).not.toEqual(google.requests[1].token);
  });

  it('fails as auth when a fresh token is refused too', async () => {
    google.pageFaults.set(0, [{ status: 401 }, { status: 401 }]);
    const error = await syncError(id);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/refused the access token \(401\)/);
    expect(google.requests).toHaveLength(2);
  });

  it('classifies a 403 forbidden as auth, naming the privilege the admin needs', async () => {
    google.faults.push({ status: 403, reason: 'forbidden' });
    const error = await syncError(id);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/Not Authorized to access this resource\/api.*Users > Read/);
    expect(await connection(id)).toMatchObject({
      status: 'ERROR',
      lastError: expect.stringMatching(/refused to list users \(403\)/),
    });
  });

  it('classifies a disabled Admin SDK API as config', async () => {
    google.faults.push({ status: 403, reason: 'accessNotConfigured' });
    const error = await syncError(id);
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/Admin SDK API is not enabled/);
  });
});

describe('Google Workspace configuration', () => {
  it('reads a given customer id, and a key pasted with escaped newlines', async () => {
    google.setUsers(users(5000, 5010));
    const id = await createGoogleConnection({
      customerId: 'C01acme23',
      delegatedAdminEmail: ADMINS[1],
      privateKey: keys.privateKey.replace(/\n/g, '\\n'),
    });
    expect(await sync(id)).toMatchObject({ fetched: 10, created: 10 });
    expect(pageUrls()[0].get('customer')).toBe('C01acme23');
    expect(google.tokenRequests).toHaveLength(1);
  });

  it('refuses a private key that does not parse, as a config error', async () => {
    const id = await createGoogleConnection({
      privateKey: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n',
    });
    const error = await syncError(id);
    expect(error.kind).toBe('config');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/private key cannot be read/);
    expect(google.tokenRequests).toHaveLength(0);
  });

  it('refuses a missing domain-wide delegation (unauthorized_client) as auth, not retryable', async () => {
    google.delegatedScopes = [];
    const id = await createGoogleConnection({ delegatedAdminEmail: ADMINS[2] });
    const error = await syncError(id);
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^Google refused the service account: domain-wide delegation is not granted for this scope \(unauthorized_client\)/,
    );
    expect(error.message).toContain(DIRECTORY_SCOPE);
    expect(google.tokenRequests).toEqual([{ error: 'unauthorized_client' }]);
    expect(google.requests).toHaveLength(0);
  });

  it('refuses a key of another service account and an unknown admin (invalid_grant)', async () => {
    const other = serviceAccountKeys();
    const wrongKey = await createGoogleConnection({ privateKey: other.privateKey });
    const signature = await syncError(wrongKey);
    expect(signature.kind).toBe('auth');
    expect(signature.message).toMatch(/invalid_grant: Invalid JWT Signature/);

    const notAdmin = await createGoogleConnection({ delegatedAdminEmail: 'nobody@acme.example' });
    const admin = await syncError(notAdmin);
    expect(admin.kind).toBe('auth');
    expect(admin.message).toMatch(/Invalid email or User ID.*nobody@acme\.example/);
  });

  it('retries a 503 backendError from the API', async () => {
    google.setUsers(users(0, 3));
    google.pageFaults.set(0, [{ status: 503 }]);
    const id = await createGoogleConnection({ delegatedAdminEmail: ADMINS[1] });
    expect(await sync(id)).toMatchObject({ fetched: 3 });
    expect(google.requests).toHaveLength(2);
  });
});

describe('POST /api/directory/:id/test for Google Workspace', () => {
  it('answers ok with the first page count, or a message an admin can act on', async () => {
    google.setUsers(users(0, 1200));
    const id = await createGoogleConnection();
    expect(await connectionTest(id)).toEqual({ ok: true, userCount: 500, groupCount: 0 });
    expect(google.requests).toHaveLength(1);

    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ config: { delegatedAdminEmail: ADMINS[2] } })
      .expect(200);
    google.delegatedScopes = ['https://www.googleapis.com/auth/admin.directory.group.readonly'];
    const refused = await connectionTest(id);
    expect(refused).toEqual({
      ok: false,
      error: expect.stringMatching(
        /^Google refused the service account: domain-wide delegation is not granted for this scope \(unauthorized_client\)\. In the Admin console/,
      ),
    });

    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({
        config: { privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      })
      .expect(200);
    expect(await connectionTest(id)).toEqual({
      ok: false,
      error: expect.stringMatching(/service account private key cannot be read/),
    });

    const shown = await connection(id);
    expect(JSON.stringify(shown)).not.toContain('PRIVATE KEY');
  });
});
