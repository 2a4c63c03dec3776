import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { FakeOkta, oktaGroup, oktaUser } from './fakes/fake-okta.js';
import { expectError } from './support/errors.js';
import { fullCyclesOnly } from './support/full-cycles.js';
import { oktaUser as scimUser, patchOp, scim, scimConnection } from './support/scim.js';
import { eventually } from './support/service-process.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

interface Person {
  email: string;
  externalId: string | null;
  changes?: Record<string, { from: unknown; to: unknown }>;
}
/** A run's counts: its timings differ from run to run. */
function counts(stats: JobView['stats']) {
  const { timings, ...rest } = stats ?? {};
  expect(timings).toEqual(expect.objectContaining({ total: expect.any(Number) }));
  return rest;
}

interface JobView {
  status: string;
  dryRun: boolean;
  lastError: string | null;
  stats: (Record<string, number> & { timings?: Record<string, number> }) | null;
  preview: {
    created: Person[];
    updated: Person[];
    deactivated: Person[];
    reactivated: Person[];
    blockedBy: string | null;
  } | null;
}

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;
let worker: QueueWorker;

beforeAll(async () => {
  okta = new FakeOkta({ token: 'any', users: [] });
  await okta.start();
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    PROVIDER_MAX_RETRIES: '0',
    SYNC_TRIGGER_RATE_LIMIT: '0',
  });
  fullCyclesOnly(t, 'okta');
  acme = await createCompany(t, 'Acme');
  worker = t.app.get(QueueWorker);
});
afterAll(async () => {
  await t.close();
  await okta.stop();
});

async function createConnection(name: string): Promise<string> {
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(acme.adminKey))
    .send({ name, type: 'okta', config: { orgUrl: okta.url, apiToken: 't', syncGroups: true } })
    .expect(201);
  return (res.body as { id: string }).id;
}

function trigger(id: string, body?: object, key = acme.adminKey) {
  const req = t.http().post(`/api/directory/${id}/sync`).set(bearer(key));
  return body === undefined ? req : req.send(body);
}

/** Triggers, runs the queue, and returns the finished job. */
async function run(id: string, body?: object): Promise<JobView> {
  const res = await trigger(id, body).expect(202);
  await worker.drain();
  const jobId = (res.body as { jobId: string }).jobId;
  const job = await t.http().get(`/api/sync-jobs/${jobId}`).set(bearer(acme.adminKey)).expect(200);
  return job.body as JobView;
}

/** Everything a dry run must leave alone. */
async function snapshot(): Promise<unknown[]> {
  return Promise.all([
    t.db.query(`SELECT * FROM employee ORDER BY email`),
    t.db.query(`SELECT * FROM directory_group ORDER BY id`),
    t.db.query(`SELECT * FROM group_membership ORDER BY 1, 2`),
    t.db.query(`SELECT count(*) FROM event`),
    t.db.query(`SELECT last_sync_at, last_sync_count, status FROM directory_connection`),
  ]);
}

describe('dry runs', () => {
  it('change nothing, and preview who would be created, updated, deactivated and reactivated', async () => {
    const users = Array.from({ length: 6 }, (_, i) => oktaUser(i + 1));
    okta.setUsers(users);
    okta.setGroups([oktaGroup(1, [users[0].id, users[1].id])]);
    const id = await createConnection('preview');
    expect(await run(id)).toMatchObject({ status: 'SUCCEEDED', dryRun: false, preview: null });
    // Next: 2 changes title, 5 (inactive here) comes back, 6 leaves, 7 joins, 2 leaves group 1.
    await t.db.query(
      `UPDATE employee SET active = false WHERE lower(email) = 'user5@acme.example'`,
    );

    okta.setUsers([
      users[0],
      oktaUser(2, { profile: { title: 'CTO' } }),
      users[2],
      users[3],
      users[4],
      oktaUser(7),
    ]);
    okta.setGroups([oktaGroup(1, [users[0].id])]);
    const before = await snapshot();
    const dry = await run(id, { dryRun: true });
    expect(await snapshot()).toEqual(before);
    expect(dry).toMatchObject({
      status: 'SUCCEEDED',
      dryRun: true,
      stats: { fetched: 6, created: 1, updated: 2, deactivated: 1, membershipsRemoved: 1 },
    });
    expect(dry.preview).toEqual({
      created: [{ email: 'user7@acme.example', externalId: oktaUser(7).id }],
      updated: [
        {
          email: 'user2@acme.example',
          externalId: users[1].id,
          changes: { title: { from: 'Engineer', to: 'CTO' } },
        },
      ],
      reactivated: [{ email: 'user5@acme.example', externalId: users[4].id }],
      deactivated: [{ email: 'user6@acme.example', externalId: users[5].id }],
      blockedBy: null,
    });

    // The real run does what the dry run said.
    expect(counts((await run(id)).stats)).toEqual(counts(dry.stats));
  });

  it('show at most 1,000 people of each kind', async () => {
    okta.setUsers({ count: 1500, user: (i) => oktaUser(10_000 + i) });
    okta.setGroups([]);
    const id = await createConnection('big');
    const started = Date.now();
    const dry = await run(id, { dryRun: true });
    const ms = Date.now() - started;
    expect(dry.stats).toMatchObject({ fetched: 1500, created: 1500 });
    expect(dry.preview!.created).toHaveLength(1000);
    expect(new Set(dry.preview!.created.map((p) => p.email)).size).toBe(1000);
    expect(
      await t.db.query(`SELECT 1 FROM employee WHERE source_connection_id = $1`, [id]),
    ).toEqual([]);
    // A loose bound: the preview costs one read per page, not per person.
    expect(ms).toBeLessThan(20_000);
  });

  it("name the guard's verdict, and the people a guard-stopped run would deactivate", async () => {
    okta.setUsers(Array.from({ length: 10 }, (_, i) => oktaUser(200 + i)));
    okta.setGroups([]);
    const id = await createConnection('shrinking');
    await run(id);
    okta.setUsers([oktaUser(200)]);
    const dry = await run(id, { dryRun: true });
    expect(dry.stats).toMatchObject({ deactivated: 9 });
    expect(dry.preview!.deactivated).toHaveLength(9);
    expect(dry.preview!.blockedBy).toMatch(/deactivate 9 of 10/);
    const active = await t.db.query(
      `SELECT count(*)::int AS n FROM employee WHERE source_connection_id = $1 AND active`,
      [id],
    );
    expect(active).toEqual([{ n: 10 }]);

    // The real run stops at the guard; its failed job names the same people.
    const stopped = await run(id);
    expect(stopped).toMatchObject({ status: 'FAILED', dryRun: false, stats: { fetched: 1 } });
    expect(stopped.preview).toEqual({ ...dry.preview, updated: [], blockedBy: stopped.lastError });

    // An empty directory: everyone would go, and the guard says so.
    okta.setUsers([]);
    const empty = await run(id, { dryRun: true });
    expect(empty.stats).toMatchObject({ fetched: 0, deactivated: 10 });
    expect(empty.preview!.deactivated).toHaveLength(10);
    expect(empty.preview!.blockedBy).toMatch(/returned no users/);
  });

  it('are refused with 400 on a bad body, 403 for a viewer, 404 for another company', async () => {
    const id = await createConnection('edge');
    const viewer = await createKey(t, acme.adminKey, 'viewer');
    const other = await createCompany(t, 'Other');
    expectError(await trigger(id, { dryRun: 'yes' }), 400, { fields: true });
    expectError(await trigger(id, { dryRun: null }), 400, { fields: true });
    expectError(await trigger(id, { dryRun: true, preview: true }), 400, { fields: true });
    expectError(await trigger(id, { dryRun: true }, viewer.key), 403);
    expectError(await trigger(id, { dryRun: true }, other.adminKey), 404);
    expect(await t.db.query(`SELECT 1 FROM job WHERE dedupe_key = $1`, [id])).toEqual([]);
  });

  it('never stand in for a waiting real sync, nor the other way round', async () => {
    const id = await createConnection('dedupe');
    await trigger(id).expect(202);
    expectError(await trigger(id, { dryRun: true }), 409);
    expect((await trigger(id, {}).expect(202)).body).toMatchObject({ deduplicated: true });
    await worker.drain();
    await trigger(id, { dryRun: true }).expect(202);
    expectError(await trigger(id), 409);
    await worker.drain();
  });

  it('hold no transaction open while they wait on the provider: no locks, no events held back', async () => {
    // Acme's SCIM connection has pushed someone the Okta directory also lists: the dry run
    // would update (move) that person, in its first 1,000-person batch.
    const push = await scimConnection(t, acme);
    const pushed = await scim(t, push, 'post', '/Users', scimUser('user20003@acme.example')).expect(
      201,
    );
    const pushedId = (pushed.body as { id: string }).id;
    okta.setUsers({ count: 1400, user: (i) => oktaUser(20_001 + i) });
    okta.setGroups([]);
    const id = await createConnection('held');

    // The 7th page of users (after the first batch was compared) waits until released.
    let release = () => {};
    let held!: () => void;
    const reachedHold = new Promise<void>((resolve) => (held = resolve));
    let userPages = 0;
    okta.onRequest = () => {
      if (okta.requests.at(-1)?.url.startsWith('/api/v1/users') && ++userPages === 7) {
        okta.hold = new Promise<void>((resolve) => (release = resolve));
        held();
      }
    };
    const res = await trigger(id, { dryRun: true }).expect(202);
    const draining = worker.drain();
    try {
      await reachedHold;
      // Another company's change is visible in its event feed while the dry run waits.
      const other = await scimConnection(t);
      await scim(t, other, 'post', '/Users', scimUser('someone@other.example')).expect(201);
      await eventually(
        async () => {
          const page = await t
            .http()
            .get('/api/events')
            .query({ types: 'employee.created' })
            .set(bearer(other.company.adminKey))
            .expect(200);
          return (page.body as { items: unknown[] }).items.length === 1;
        },
        5_000,
        "the other company's event while the dry run waits",
      );
      // A change to that person is not blocked by the dry run (SCIM PATCH answers at once).
      const patch = patchOp({ op: 'replace', path: 'title', value: 'Held' });
      await scim(t, push, 'patch', `/Users/${pushedId}`, patch).expect(200);
      // All of this while the dry run still waits on the provider.
      const jobId = (res.body as { jobId: string }).jobId;
      const job = await t.http().get(`/api/sync-jobs/${jobId}`).set(bearer(acme.adminKey));
      expect(job.body).toMatchObject({ status: 'RUNNING' });
    } finally {
      okta.onRequest = undefined;
      okta.hold = undefined;
      release();
      await draining;
    }
    const jobId = (res.body as { jobId: string }).jobId;
    const job = await t.http().get(`/api/sync-jobs/${jobId}`).set(bearer(acme.adminKey));
    expect(job.body).toMatchObject({
      status: 'SUCCEEDED',
      stats: { fetched: 1400, created: 1399, updated: 1 },
    });
    expect((job.body as JobView).preview!.updated).toEqual([
      expect.objectContaining({ email: 'user20003@acme.example' }),
    ]);
  });

  it('count the memberships of people and groups the run would create, as a real run does', async () => {
    const users = Array.from({ length: 3 }, (_, i) => oktaUser(30_001 + i));
    okta.setUsers(users);
    okta.setGroups([
      oktaGroup(
        30,
        users.map((u) => u.id),
      ),
    ]);
    const id = await createConnection('new groups');
    const dry = await run(id, { dryRun: true });
    expect(dry.stats).toMatchObject({ created: 3, groupsCreated: 1, membershipsAdded: 3 });
    expect(counts((await run(id)).stats)).toEqual(counts(dry.stats));
  });
});
