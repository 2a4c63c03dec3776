import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ProviderError } from '../src/directory/providers/directory-provider.js';
import { SYNC_STAGES } from '../src/sync-jobs/sync-job.types.js';
import { MassDeprovisionError } from '../src/sync/sync.service.js';
import { FakeOkta, oktaUser, type OktaUserJson } from './fakes/fake-okta.js';
import { fullCyclesOnly } from './support/full-cycles.js';
import { ANY_TIMINGS, NO_GROUP_CHANGES, providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;

const users = (from: number, to: number, status = 'ACTIVE') =>
  Array.from({ length: to - from }, (_, i) => oktaUser(from + i, { status }));

/** The users' requests of the run (groups follow them: test/sync-groups). */
const userRequests = () => okta.requests.filter((r) => r.url.startsWith('/api/v1/users'));

const { createConnection, sync, employees, connection } = providerHarness({
  app: () => t,
  company: () => acme,
  connection: {
    name: 'Okta',
    type: 'okta',
    config: () => ({ orgUrl: okta.url, apiToken: okta.apiToken }),
  },
});

const createOktaConnection = (company: TestCompany, threshold = 20) =>
  createConnection({}, { company, deprovisionThresholdPercent: threshold });

beforeAll(async () => {
  t = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true', PROVIDER_RETRY_BASE_MS: '1' });
  fullCyclesOnly(t, 'okta');
  okta = new FakeOkta({ users: [] });
  await okta.start();
  acme = await createCompany(t, 'Acme');
});
afterAll(async () => {
  await okta.stop();
  await t.close();
});
beforeEach(() => {
  okta.faults = [];
  okta.pageFaults.clear();
  okta.requests.length = 0;
});

describe('a sync streams the directory into the roster', () => {
  let id: string;
  beforeAll(async () => {
    okta.setUsers(users(0, 450));
    id = await createOktaConnection(acme);
  });

  it('creates everyone on the first run, following the Link pages', async () => {
    const stats = await sync(id);
    expect(stats).toEqual({
      fetched: 450,
      created: 450,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      skipped: 0,
      ...NO_GROUP_CHANGES,
      mode: 'full',
      modeReason: expect.any(String),
      ...ANY_TIMINGS,
    });
    expect(userRequests().map((r) => r.url)).toEqual([
      '/api/v1/users?limit=200',
      '/api/v1/users?after=200&limit=200',
      '/api/v1/users?after=400&limit=200',
    ]);
    expect(okta.requests.every((r) => r.authorization === `SSWS ${okta.apiToken}`)).toBe(true);
    const first = (await employees('?email=USER7@acme.example')).items[0];
    expect(first).toMatchObject({
      email: 'user7@acme.example',
      firstName: 'First7',
      lastName: 'Last7',
      department: 'Dept7',
      title: 'Engineer',
      active: true,
      mfaEnabled: null,
      connectionId: id,
      externalId: oktaUser(7).id,
      deactivatedAt: null,
    });
    expect(await connection(id)).toMatchObject({
      status: 'ACTIVE',
      lastSyncCount: 450,
      lastError: null,
    });
  });

  it("reports where the run's time went, stage by stage", async () => {
    okta.delayMs = 50; // each of the 3 pages: what the run waits for and cannot overlap
    const { timings } = await sync(id).finally(() => (okta.delayMs = 0));
    expect(Object.keys(timings!).sort()).toEqual([...Object.keys(SYNC_STAGES), 'total'].sort());
    for (const ms of Object.values(timings!)) expect(Number.isInteger(ms) && ms >= 0).toBe(true);
    expect(timings!.fetch).toBeGreaterThanOrEqual(120);
    expect(timings!.total).toBeGreaterThanOrEqual(timings!.fetch + timings!.waitingOnWrite);
    expect(timings!.write).toBeGreaterThanOrEqual(timings!.waitingOnWrite);
  });

  it('changes nothing on a re-sync of the same directory, and does not even lock a row', async () => {
    const before = await t.db.query(`SELECT max(updated_at) AS at FROM employee`);
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 450, created: 0, updated: 0, unchanged: 450 });
    expect(await t.db.query(`SELECT max(updated_at) AS at FROM employee`)).toEqual(before);
    // A row lock (an upsert's ON CONFLICT takes one on every row it finds) writes xmax.
    const locked = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM employee WHERE source_connection_id = $1 AND xmax <> '0'`,
      [id],
    );
    expect(locked).toEqual([{ n: 0 }]);
  });

  it('updates what changed and keeps fields the provider did not send', async () => {
    const changed = users(0, 450);
    changed[1] = oktaUser(1, { profile: { title: 'Staff Engineer' } });
    delete changed[2].profile.department; // not sent: keep ours
    changed[3].profile.department = null; // sent empty: cleared
    okta.setUsers(changed);
    const stats = await sync(id);
    expect(stats).toMatchObject({ created: 0, updated: 2, unchanged: 448 });
    const byEmail = async (n: number) => (await employees(`?email=user${n}@acme.example`)).items[0];
    expect(await byEmail(1)).toMatchObject({ title: 'Staff Engineer' });
    expect(await byEmail(2)).toMatchObject({ department: 'Dept2' });
    expect(await byEmail(3)).toMatchObject({ department: null });
  });

  it('deactivates people who left or are suspended, and reactivates returners', async () => {
    const remaining = users(0, 440);
    remaining[5] = oktaUser(5, { status: 'SUSPENDED' });
    okta.setUsers(remaining);
    const stats = await sync(id);
    expect(stats.deactivated).toBe(11);
    const gone = (await employees('?email=user445@acme.example')).items[0];
    expect(gone).toMatchObject({ active: false });
    expect(gone.deactivatedAt).toEqual(expect.any(String));
    expect((await employees('?email=user5@acme.example')).items[0]).toMatchObject({
      active: false,
    });
    expect((await employees('?active=false')).items).toHaveLength(11);

    okta.setUsers(users(0, 441));
    const back = await sync(id);
    expect(back).toMatchObject({ updated: 2, deactivated: 0 });
    expect((await employees('?email=user440@acme.example')).items[0]).toMatchObject({
      active: true,
      deactivatedAt: null,
    });
    const rows = await t.db.query(`SELECT count(*)::int AS n FROM employee`);
    expect(rows[0].n).toBe(450); // never deleted
  });
});

describe('the mass-deprovision guard', () => {
  let id: string;
  beforeAll(async () => {
    okta.setUsers(users(1000, 1100));
    id = await createOktaConnection(acme, 20);
    await sync(id);
  });

  it('refuses to deactivate more than the threshold, and says how to allow it', async () => {
    okta.setUsers(users(1000, 1070)); // 30 of 100 gone: 30 % > 20 %
    const error = await sync(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MassDeprovisionError);
    expect((error as Error).message).toMatch(/deactivate 30 of 100 active employees/);
    expect((error as Error).message).toMatch(/allowMassDeprovision/);
    expect((await employees(`?connectionId=${id}&active=false`)).items).toHaveLength(0);
    expect(await connection(id)).toMatchObject({
      status: 'ERROR',
      lastError: expect.stringMatching(/nothing was deactivated/),
    });
  });

  it('refuses an empty directory while employees are active', async () => {
    okta.setUsers([]);
    const error = await sync(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MassDeprovisionError);
    expect((error as Error).message).toMatch(/returned no users while 100 employees are active/);
    expect((await employees(`?connectionId=${id}&active=true`)).items).toHaveLength(100);
  });

  it('deactivates when an admin allows it for one run', async () => {
    okta.setUsers(users(1000, 1070));
    const stats = await sync(id, { allowMassDeprovision: true });
    expect(stats.deactivated).toBe(30);
    expect(await connection(id)).toMatchObject({ status: 'ACTIVE', lastError: null });
  });
});

describe('a directory of several batches', () => {
  it('writes two batches at a time, and someone listed twice is written once', async () => {
    // 2,600 people in pages of 200, written 1,000 a statement on two connections at once.
    // Two of the first batch are listed again, in the other order, in the second.
    const listed = users(5000, 7600);
    listed.splice(1500, 0, oktaUser(5020), oktaUser(5010));
    okta.setUsers(listed);
    const id = await createOktaConnection(acme);
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 2602, created: 2600, updated: 0, unchanged: 2 });
    const [row] = await t.db.query<{ people: number; active: number; events: number }>(
      `SELECT count(*)::int AS people, count(*) FILTER (WHERE active)::int AS active,
              (SELECT count(*)::int FROM event
                WHERE connection_id = $1 AND type = 'employee.created') AS events
         FROM employee WHERE source_connection_id = $1`,
      [id],
    );
    expect(row).toEqual({ people: 2600, active: 2600, events: 2600 });
  });
});

describe('provider failures', () => {
  let id: string;
  beforeAll(async () => {
    okta.setUsers(users(2000, 2450));
    id = await createOktaConnection(acme);
    await sync(id);
  });

  it('waits out a 429 and retries the page', async () => {
    okta.pageFaults.set(1, { status: 429, reset: 'now' });
    const stats = await sync(id);
    expect(stats.fetched).toBe(450);
    expect(userRequests().map((r) => r.url)).toEqual([
      '/api/v1/users?limit=200',
      '/api/v1/users?after=200&limit=200',
      '/api/v1/users?after=200&limit=200',
      '/api/v1/users?after=400&limit=200',
    ]);
  });

  it('retries a 500 and a malformed body', async () => {
    okta.pageFaults.set(0, { status: 500 });
    okta.pageFaults.set(2, { status: 200, rawBody: '{"not": "a list"' });
    const stats = await sync(id);
    expect(stats.fetched).toBe(450);
    expect(userRequests()).toHaveLength(5);
  });

  it('deactivates nothing when a page fails half-way', async () => {
    okta.setUsers(users(2000, 2400)); // 50 gone…
    for (let i = 0; i < 5; i++) okta.faults.push({ status: 503 }); // …but page 1 never arrives
    okta.pageFaults.set(1, { status: 503 });
    const error = await sync(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((await employees(`?connectionId=${id}&active=false`)).items).toHaveLength(0);
    expect(await connection(id)).toMatchObject({
      status: 'ERROR',
      lastError: expect.stringMatching(/Okta answered 503/),
    });
  });

  it('classifies refused credentials as not retryable, and keeps the token out of errors', async () => {
    okta.faults.push({ status: 401 });
    const error = await sync(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/Okta refused the credentials \(401\): Invalid token/);
    const conn = await connection(id);
    expect(JSON.stringify(conn)).not.toContain(okta.apiToken);
  });

  it('skips users without a usable email and counts them', async () => {
    okta.setUsers([
      oktaUser(3000),
      oktaUser(3001, { profile: { email: null, login: 'not-an-email' } }),
      oktaUser(3002, { profile: { email: '  ' } }),
      oktaUser(3003, { profile: { email: 'user3000@acme.example' } }), // duplicate
      ...users(2000, 2450),
    ]);
    const stats = await sync(id);
    expect(stats).toMatchObject({ fetched: 454, skipped: 3, created: 1 });
  });
});

describe('POST /api/directory/:id/test', () => {
  it('answers ok with the first page count, or a message a person can act on', async () => {
    okta.setUsers(users(0, 450));
    const id = await createOktaConnection(acme);
    const ok = await t
      .http()
      .post(`/api/directory/${id}/test`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(ok.body).toEqual({ ok: true, userCount: 200, groupCount: 0 });

    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ config: { apiToken: 'wrong' } })
      .expect(200);
    const refused = await t
      .http()
      .post(`/api/directory/${id}/test`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(refused.body).toEqual({
      ok: false,
      error: 'Okta refused the credentials (401): Invalid token provided',
    });

    const viewer = await createKey(t, acme.adminKey, 'viewer');
    await t.http().post(`/api/directory/${id}/test`).set(bearer(viewer.key)).expect(403);
    const other = await createCompany(t, 'Other');
    await t.http().post(`/api/directory/${id}/test`).set(bearer(other.adminKey)).expect(404);
  });
});

describe('GET /api/employees', () => {
  let other: TestCompany;
  beforeAll(async () => {
    other = await createCompany(t, 'Globex');
  });

  it('pages through the roster with a cursor, in email order', async () => {
    const all = await employees('?limit=500');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await employees(`?limit=97${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => e.email as string));
      cursor = page.nextCursor;
    } while (cursor);
    const total = (await t.db.query(`SELECT count(*)::int AS n FROM employee`))[0].n as number;
    expect(seen).toHaveLength(total);
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(total);
    expect(all.items).toHaveLength(Math.min(500, total));
  });

  it('shows a company only its own employees', async () => {
    expect((await employees('', other)).items).toEqual([]);
    const acmeConnection = (await employees('?limit=1')).items[0].connectionId as string;
    expect((await employees(`?connectionId=${acmeConnection}`, other)).items).toEqual([]);
  });

  it('refuses bad filters with a 400 naming them', async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=abc', 'limit'],
      ['?active=yes', 'active'],
      ['?connectionId=nope', 'connectionId'],
      ['?cursor=%%%', 'cursor'],
      ['?companyId=x', 'companyId'],
    ]) {
      const res = await t.http().get(`/api/employees${query}`).set(bearer(acme.adminKey));
      expect(res.status).toBe(400);
      expect((res.body as { message: string }).message).toContain(field);
    }
  });

  it('needs a key', async () => {
    await t.http().get('/api/employees').expect(401);
  });
});

export type { OktaUserJson };
