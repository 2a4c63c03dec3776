import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeOkta, oktaUser } from './fakes/fake-okta.js';
import { eventually, startServiceProcess, type ServiceProcess } from './support/service-process.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * The outbox across a real worker process killed in the middle of a sync: every change that
 * was committed has its event, and the retry (which sees those changes as already made)
 * adds no second one.
 */
const USERS = 3000; // 15 pages of 200, written in 3 batches of 1,000
let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;
const processes: ServiceProcess[] = [];

function worker(): ServiceProcess {
  const started = startServiceProcess('worker', {
    DATABASE_URL: t.db.url,
    SYNC_POLL_INTERVAL_MS: '200',
    SYNC_LEASE_MS: '1000',
  });
  processes.push(started);
  return started;
}

beforeAll(async () => {
  okta = new FakeOkta({ token: 'any', users: { count: USERS, user: (i) => oktaUser(i + 1) } });
  await okta.start();
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    SYNC_TRIGGER_RATE_LIMIT: '0',
  });
  acme = await createCompany(t);
});

afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await t.close();
  await okta.stop();
});

async function count(sql: string): Promise<number> {
  const [{ n }] = await t.db.query<{ n: number }>(sql, [acme.id]);
  return n;
}

const employees = () => count(`SELECT count(*)::int AS n FROM employee WHERE company_id = $1`);
const createdEvents = () =>
  count(`SELECT count(*)::int AS n FROM event WHERE company_id = $1 AND type = 'employee.created'`);

/** Every event of the company through the API, from the start, once `last` has arrived. */
async function allEvents(last: string) {
  const items: { type: string; data: Record<string, unknown> }[] = [];
  let after: string | undefined;
  await eventually(async () => {
    const res = await t
      .http()
      .get('/api/events')
      .query({ limit: '1000', ...(after ? { after } : {}) })
      .set(bearer(acme.adminKey))
      .expect(200);
    const page = res.body as { items: typeof items; nextCursor: string };
    items.push(...page.items);
    after = page.nextCursor;
    return items.some((event) => event.type === last);
  });
  return items;
}

describe('the outbox with a worker killed mid-sync', () => {
  it('leaves no change without its event, and no duplicate event after the retry', async () => {
    const res = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({ name: 'Okta', type: 'okta', config: { orgUrl: okta.url, apiToken: 'token' } })
      .expect(201);
    const connectionId = (res.body as { id: string }).id;

    // The 9th request to Okta comes after the first batch (five pages) went to be written and
    // before the second can be complete: it never gets an answer, and the worker dies once
    // the first batch committed (its statement runs while later pages are fetched).
    let requests = 0;
    let stuck!: () => void;
    const reached = new Promise<void>((resolve) => (stuck = resolve));
    okta.onRequest = () => {
      if (++requests !== 9) return;
      okta.hold = new Promise(() => {});
      stuck();
    };
    const first = worker();
    await first.waitFor('worker started');
    const trigger = await t
      .http()
      .post(`/api/directory/${connectionId}/sync`)
      .set(bearer(acme.adminKey))
      .send({})
      .expect(202);
    const { jobId } = trigger.body as { jobId: string };
    await reached;
    await eventually(async () => (await employees()) > 0, 30_000, 'the first batch committed');
    first.child.kill('SIGKILL');
    await first.exited;

    const written = await employees();
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(USERS);
    expect(await createdEvents()).toBe(written);

    // Another worker reaps the dead one's job when its lease runs out, and runs it again.
    okta.hold = undefined;
    okta.onRequest = undefined;
    worker();
    await eventually(
      async () => {
        const [job] = await t.db.query<{ status: string }>(`SELECT status FROM job WHERE id = $1`, [
          jobId,
        ]);
        return job.status === 'SUCCEEDED';
      },
      30_000,
      'the retried job SUCCEEDED',
    );
    expect(await employees()).toBe(USERS);

    const events = await allEvents('connection.sync_succeeded');
    const created = events.filter((event) => event.type === 'employee.created');
    expect(created).toHaveLength(USERS);
    expect(new Set(created.map((event) => event.data.id)).size).toBe(USERS);
    expect(events.map((event) => event.type).filter((type) => type !== 'employee.created')).toEqual(
      ['api_key.created', 'connection.created', 'connection.sync_succeeded'],
    );
    expect(events.find((event) => event.type === 'connection.sync_succeeded')?.data).toMatchObject({
      jobId,
      stats: { fetched: USERS, created: USERS - written, unchanged: written },
    });
  }, 90_000); // two worker processes, each started cold; slow on a busy machine
});
