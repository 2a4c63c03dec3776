import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { FakeOkta, oktaUser } from './fakes/fake-okta.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * Incremental cycles from Okta end to end: POST /api/directory/:id/sync, the queue's worker,
 * the engine and the Okta provider's change feed against the fake Okta's search.
 */

interface JobView {
  status: string;
  lastError: string | null;
  stats: Record<string, unknown> | null;
}

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;
let worker: QueueWorker;

beforeAll(async () => {
  okta = new FakeOkta({ users: [] });
  await okta.start();
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    PROVIDER_MAX_RETRIES: '0',
    SYNC_TRIGGER_RATE_LIMIT: '0',
  });
  worker = t.app.get(QueueWorker);
  acme = await createCompany(t, 'Acme');
});
afterAll(async () => {
  await t.close();
  await okta.stop();
});

async function run(id: string): Promise<JobView> {
  const res = await t
    .http()
    .post(`/api/directory/${id}/sync`)
    .set(bearer(acme.adminKey))
    .send({})
    .expect(202);
  await worker.drain();
  const jobId = (res.body as { jobId: string }).jobId;
  const job = await t.http().get(`/api/sync-jobs/${jobId}`).set(bearer(acme.adminKey)).expect(200);
  return job.body as JobView;
}

async function people(id: string): Promise<Map<string, { active: boolean; title: string }>> {
  const rows = await t.db.query<{ email: string; active: boolean; title: string }>(
    `SELECT email, active, title FROM employee WHERE source_connection_id = $1`,
    [id],
  );
  return new Map(rows.map((row) => [row.email, { active: row.active, title: row.title }]));
}

const userRequests = () =>
  okta.requests.filter((r) => r.url.startsWith('/api/v1/users')).map((r) => decodeURI(r.url));

describe('an Okta connection between full cycles', () => {
  it('reads only who changed, deactivates the deprovisioned and nobody else', async () => {
    okta.setUsers(Array.from({ length: 450 }, (_, i) => oktaUser(i)));
    const res = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({
        name: 'Okta',
        type: 'okta',
        config: { orgUrl: okta.url, apiToken: okta.apiToken, syncGroups: false },
      })
      .expect(201);
    const id = (res.body as { id: string }).id;

    okta.requests.length = 0;
    const first = await run(id);
    expect(first.stats).toMatchObject({ mode: 'full', fetched: 450, created: 450 });
    // The full cycle's cursor is one cheap request, then the three pages of the listing.
    expect(userRequests()).toHaveLength(4);
    const before = await people(id);

    // Since: one promotion, one deprovisioning; and one person gone from Okta without
    // having been seen deprovisioned, whom only a full cycle may act on.
    const now = new Date(okta.now()).toISOString();
    okta.setUsers(
      Array.from({ length: 450 }, (_, i) =>
        i === 5
          ? oktaUser(5, { lastUpdated: now, profile: { title: 'Staff Engineer' } })
          : i === 7
            ? oktaUser(7, { lastUpdated: now, status: 'DEPROVISIONED' })
            : oktaUser(i),
      ).filter((_, i) => i !== 9),
    );
    okta.requests.length = 0;
    const second = await run(id);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.stats).toMatchObject({
      mode: 'incremental',
      fetched: 2,
      created: 0,
      updated: 1,
      deactivated: 1,
    });
    expect(userRequests()).toEqual([
      expect.stringMatching(/^\/api\/v1\/users\?limit=200&search=lastUpdated\+gt\+"[^"]+"$/),
    ]);

    const after = await people(id);
    expect(after.get('user5@acme.example')).toEqual({ active: true, title: 'Staff Engineer' });
    expect(after.get('user7@acme.example')).toEqual({ active: false, title: 'Engineer' });
    const others = [...after].filter(([email]) => !/^user[57]@/.test(email));
    expect(new Map(others)).toEqual(
      new Map([...before].filter(([email]) => !/^user[57]@/.test(email))),
    );
    expect(after.get('user9@acme.example')?.active).toBe(true);
  });
});
