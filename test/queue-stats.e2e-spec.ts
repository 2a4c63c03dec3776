import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * What the dashboard reads of the queue: GET /api/queue/stats (one company's jobs of every
 * kind) and a connection's nextSyncAt, against jobs and schedules written straight into the
 * real tables.
 */

interface QueueStats {
  at: string;
  kinds: { kind: string; pending: number; due: number; running: number }[];
  oldestDue: { jobId: string; kind: string; runAfter: string; ageSeconds: number } | null;
  lastHour: { start: string; succeeded: number; failed: number; cancelled: number }[];
}

let t: TestApp;
let acme: TestCompany;
let globex: TestCompany;

beforeAll(async () => {
  t = await startTestApp();
  acme = await createCompany(t, 'Acme');
  globex = await createCompany(t, 'Globex');
});
afterAll(() => t.close());

/** A job of `company`, `status`, due `dueMinutes` from now, finished `finishedMinutesAgo` ago. */
async function job(
  company: TestCompany,
  kind: string,
  status: string,
  times: { dueMinutes?: number; finishedMinutesAgo?: number } = {},
): Promise<string> {
  const [row] = await t.db.query<{ id: string }>(
    `INSERT INTO job (kind, company_id, status, trigger, max_attempts, run_after, finished_at,
                      locked_by, locked_until)
     VALUES ($1, $2, $3, 'manual', 4, now() + coalesce($4, 0) * interval '1 minute',
             now() - $5 * interval '1 minute',
             CASE WHEN $3 = 'RUNNING' THEN 'test-worker' END,
             CASE WHEN $3 = 'RUNNING' THEN now() + interval '1 minute' END)
     RETURNING id`,
    [kind, company.id, status, times.dueMinutes ?? null, times.finishedMinutesAgo ?? null],
  );
  return row.id;
}

async function stats(key: string): Promise<QueueStats> {
  return (await t.http().get('/api/queue/stats').set(bearer(key)).expect(200)).body as QueueStats;
}

describe('GET /api/queue/stats', () => {
  it('an empty queue: no kinds, nothing due, 60 empty minutes ending now', async () => {
    const body = await stats(acme.adminKey);
    expect(body.kinds).toEqual([]);
    expect(body.oldestDue).toBeNull();
    expect(body.lastHour).toHaveLength(60);
    expect(body.lastHour.every((m) => m.succeeded + m.failed + m.cancelled === 0)).toBe(true);
    const starts = body.lastHour.map((m) => Date.parse(m.start));
    expect(starts.slice(1).map((s, i) => s - starts[i])).toEqual(Array(59).fill(60_000));
    const now = Date.parse(body.at);
    expect(now - starts[59]).toBeGreaterThanOrEqual(0);
    expect(now - starts[59]).toBeLessThan(60_000);
  });

  it("counts the caller's company's jobs only, per kind, per minute", async () => {
    const oldest = await job(acme, 'webhook', 'PENDING', { dueMinutes: -10 });
    await job(acme, 'sync', 'PENDING', { dueMinutes: -2 });
    await job(acme, 'sync', 'PENDING', { dueMinutes: 30 }); // waiting, not yet due
    await job(acme, 'sync', 'RUNNING');
    await job(acme, 'sync', 'SUCCEEDED', { finishedMinutesAgo: 0 });
    await job(acme, 'sync', 'SUCCEEDED', { finishedMinutesAgo: 0 });
    await job(acme, 'webhook', 'FAILED', { finishedMinutesAgo: 5 });
    await job(acme, 'sync', 'CANCELLED', { finishedMinutesAgo: 5 });
    await job(acme, 'sync', 'SUCCEEDED', { finishedMinutesAgo: 61 }); // before the hour
    // Globex: more of everything, and an older due job; none of it is Acme's.
    await job(globex, 'sync', 'PENDING', { dueMinutes: -60 });
    await job(globex, 'webhook', 'RUNNING');
    await job(globex, 'sync', 'SUCCEEDED', { finishedMinutesAgo: 0 });
    await job(globex, 'webhook', 'FAILED', { finishedMinutesAgo: 5 });

    const viewer = await createKey(t, acme.adminKey, 'viewer');
    const body = await stats(viewer.key);
    expect(body.kinds).toEqual([
      { kind: 'sync', pending: 2, due: 1, running: 1 },
      { kind: 'webhook', pending: 1, due: 1, running: 0 },
    ]);
    expect(body.oldestDue).toMatchObject({ jobId: oldest, kind: 'webhook' });
    expect(body.oldestDue!.ageSeconds).toBeGreaterThanOrEqual(600);
    expect(body.oldestDue!.ageSeconds).toBeLessThan(660);

    const total = (field: 'succeeded' | 'failed' | 'cancelled') =>
      body.lastHour.reduce((sum, m) => sum + m[field], 0);
    expect([total('succeeded'), total('failed'), total('cancelled')]).toEqual([2, 1, 1]);
    // The finished minutes are where they belong: the last bucket, and five minutes before.
    expect(body.lastHour[59].succeeded).toBe(2);
    const fiveAgo = body.lastHour.findIndex((m) => m.failed === 1);
    expect(fiveAgo).toBeGreaterThanOrEqual(53);
    expect(fiveAgo).toBeLessThanOrEqual(54);

    const other = await stats(globex.adminKey);
    expect(other.kinds).toEqual([
      { kind: 'sync', pending: 1, due: 1, running: 0 },
      { kind: 'webhook', pending: 0, due: 0, running: 1 },
    ]);
    expect(other.lastHour.reduce((sum, m) => sum + m.succeeded + m.failed, 0)).toBe(2);
  });

  it('needs an API key', async () => {
    await t.http().get('/api/queue/stats').expect(401);
  });
});

describe("a connection's nextSyncAt", () => {
  interface Connection {
    id: string;
    nextSyncAt: string | null;
  }
  const create = async (body: Record<string, unknown>) =>
    (
      await t
        .http()
        .post('/api/directory')
        .set(bearer(acme.adminKey))
        .send({
          name: 'Okta',
          type: 'okta',
          config: { orgUrl: 'https://acme.okta.com', apiToken: 'x' },
          ...body,
        })
        .expect(201)
    ).body as Connection;
  const get = async (id: string) =>
    (await t.http().get(`/api/directory/${id}`).set(bearer(acme.adminKey)).expect(200))
      .body as Connection;

  it('is null without an interval, and for scim', async () => {
    const manual = await create({});
    expect(manual.nextSyncAt).toBeNull();
    const scim = await create({ type: 'scim', config: {} });
    expect(scim.nextSyncAt).toBeNull();
    expect((await get(scim.id)).nextSyncAt).toBeNull();
  });

  it('is due now for a new interval, then an interval after the last finished job', async () => {
    const before = Date.now();
    const created = await create({ syncIntervalMinutes: 60 });
    // Never synced: due at the scheduler's next round.
    expect(Date.parse(created.nextSyncAt!)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(Date.parse(created.nextSyncAt!)).toBeGreaterThan(before - 60_000);

    await t.db.query(
      `INSERT INTO job (kind, dedupe_key, company_id, status, trigger, max_attempts, finished_at)
       VALUES ('sync', $1, $2, 'SUCCEEDED', 'schedule', 4, now() - interval '10 minutes')`,
      [created.id, acme.id],
    );
    const [{ expected }] = await t.db.query<{ expected: Date }>(
      `SELECT max(finished_at) + interval '60 minutes' AS expected FROM job WHERE dedupe_key = $1`,
      [created.id],
    );
    expect(Date.parse((await get(created.id)).nextSyncAt!)).toBe(new Date(expected).getTime());

    const list = (await t.http().get('/api/directory').set(bearer(acme.adminKey)).expect(200))
      .body as { items: Connection[] };
    expect(list.items.find((c) => c.id === created.id)?.nextSyncAt).toBe(
      new Date(expected).toISOString(),
    );

    const patched = (
      await t
        .http()
        .patch(`/api/directory/${created.id}`)
        .set(bearer(acme.adminKey))
        .send({ syncIntervalMinutes: null })
        .expect(200)
    ).body as Connection;
    expect(patched.nextSyncAt).toBeNull();
  });
});
