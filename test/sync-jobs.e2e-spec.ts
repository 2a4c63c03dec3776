import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobQueue } from '../src/queue/job-queue.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { SyncJobService } from '../src/sync-jobs/sync-job.service.js';
import { FakeOkta, oktaUser } from './fakes/fake-okta.js';
import { expectError } from './support/errors.js';
import { fullCyclesOnly } from './support/full-cycles.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * Short lease and backoff: the queue's timing is driven by config, not by sleeping long. The
 * backoff stays above how long a drain takes to settle a failure on a loaded machine (at
 * 150 ms, a retry fell due within the same drain in CI and ran at once).
 */
const QUEUE_ENV = {
  DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
  PROVIDER_RETRY_BASE_MS: '1',
  PROVIDER_MAX_RETRIES: '0',
  PROVIDER_RATE_LIMIT_MAX_WAIT_MS: '100',
  SYNC_BACKOFF_BASE_MS: '1000',
  SYNC_LEASE_MS: '300',
  SYNC_TRIGGER_RATE_LIMIT: '0',
};

interface JobView {
  id: string;
  connectionId: string | null;
  status: string;
  trigger: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAfter: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequested: boolean;
  stats: Record<string, number> | null;
}

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;
let worker: QueueWorker;
let jobs: SyncJobService;
let queue: JobQueue;

const tokenFor = (name: string) => `token-${name}`;

async function createConnection(
  name: string,
  extra: Record<string, unknown> = {},
  company = acme,
): Promise<string> {
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(company.adminKey))
    .send({
      name,
      type: 'okta',
      config: { orgUrl: okta.url, apiToken: tokenFor(name) },
      ...extra,
    })
    .expect(201);
  return (res.body as { id: string }).id;
}

function trigger(connectionId: string, body: object = {}, company = acme) {
  return t
    .http()
    .post(`/api/directory/${connectionId}/sync`)
    .set(bearer(company.adminKey))
    .send(body);
}

async function job(id: string, company = acme): Promise<JobView> {
  const res = await t.http().get(`/api/sync-jobs/${id}`).set(bearer(company.adminKey)).expect(200);
  return res.body as JobView;
}

async function triggered(connectionId: string, body: object = {}): Promise<string> {
  const res = await trigger(connectionId, body).expect(202);
  return (res.body as { jobId: string }).jobId;
}

/** Earlier tests' waiting jobs out of the way, for a test that claims by hand. */
async function settleOtherJobs(connectionId: string): Promise<void> {
  await t.db.query(
    `UPDATE job SET status = 'CANCELLED', finished_at = now()
      WHERE status = 'PENDING' AND dedupe_key <> $1`,
    [connectionId],
  );
}

/** Waits (bounded) until a job's run_after has passed, so a retry is due. */
async function untilDue(id: string): Promise<void> {
  const due = Date.parse((await job(id)).runAfter);
  await sleep(Math.max(due - Date.now() + 5, 0));
}

beforeAll(async () => {
  okta = new FakeOkta({ token: 'any', users: [oktaUser(1), oktaUser(2), oktaUser(3)] });
  await okta.start();
  t = await startTestApp(QUEUE_ENV);
  fullCyclesOnly(t, 'okta');
  acme = await createCompany(t, 'Acme');
  worker = t.app.get(QueueWorker);
  jobs = t.app.get(SyncJobService);
  queue = t.app.get(JobQueue);
});
afterAll(async () => {
  await t.close();
  await okta.stop();
});
beforeEach(() => {
  okta.faults = [];
  okta.pageFaults.clear();
  okta.hold = undefined;
  okta.onRequest = undefined;
});

describe('POST /api/directory/:id/sync', () => {
  it('answers 202 with the job and where to watch it, and never runs the sync itself', async () => {
    const id = await createConnection('trigger', { maxAttempts: 3 });
    const requestsBefore = okta.requests.length;
    const res = await trigger(id).expect(202);
    const body = res.body as { jobId: string; status: string; deduplicated: boolean };
    expect(body).toEqual({
      jobId: expect.any(String) as unknown,
      status: 'PENDING',
      deduplicated: false,
    });
    expect(res.headers.location).toBe(`/api/sync-jobs/${body.jobId}`);
    expect(okta.requests.length).toBe(requestsBefore);
    expect(await job(body.jobId)).toMatchObject({
      connectionId: id,
      status: 'PENDING',
      trigger: 'manual',
      attempts: 0,
      maxAttempts: 3,
      startedAt: null,
      stats: null,
    });
  });

  it('returns the waiting job instead of a second one, and adds one follow-up behind a running job', async () => {
    const id = await createConnection('coalesce');
    const first = await triggered(id);
    const again = await trigger(id).expect(202);
    expect(again.body).toEqual({ jobId: first, status: 'PENDING', deduplicated: true });

    await settleOtherJobs(id);
    const [claimed] = await queue.claim('sync', 'test-worker', 1, 300);
    expect(claimed.id).toBe(first);
    const followUp = await trigger(id).expect(202);
    expect(followUp.body).toMatchObject({ status: 'PENDING', deduplicated: false });
    const followUpId = (followUp.body as { jobId: string }).jobId;
    expect(followUpId).not.toBe(first);
    expect((await trigger(id).expect(202)).body).toMatchObject({
      jobId: followUpId,
      deduplicated: true,
    });
    // the follow-up waits while its predecessor runs
    expect(await queue.claim('sync', 'another-worker', 5, 300)).toEqual([]);
    const stats = { fetched: 0, created: 0, updated: 0, unchanged: 0, deactivated: 0, skipped: 0 };
    await queue.complete('sync', 'test-worker', [{ id: first, result: stats }]);
    expect((await queue.claim('sync', 'another-worker', 5, 300)).map((j) => j.id)).toEqual([
      followUpId,
    ]);
    await queue.release(followUpId, 'another-worker');
  });

  it('creates exactly one job for 50 concurrent requests', async () => {
    const id = await createConnection('stampede');
    const answers = await Promise.all(Array.from({ length: 50 }, () => trigger(id)));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const ids = new Set(answers.map((a) => (a.body as { jobId: string }).jobId));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => !(a.body as { deduplicated: boolean }).deduplicated)).toHaveLength(
      1,
    );
    const rows = await t.db.query(`SELECT status FROM job WHERE dedupe_key = $1`, [id]);
    expect(rows).toEqual([{ status: 'PENDING' }]);
  });

  it('is admin-only, company-scoped, and refuses bad bodies and scim connections', async () => {
    const id = await createConnection('guarded');
    const viewer = await createKey(t, acme.adminKey, 'viewer');
    const other = await createCompany(t, 'Other');
    await t.http().post(`/api/directory/${id}/sync`).expect(401);
    await t.http().post(`/api/directory/${id}/sync`).set(bearer(viewer.key)).expect(403);
    expectError(await trigger(id, {}, other), 404);
    expectError(await trigger('not-a-uuid'), 400);
    expectError(await trigger(id, { allowMassDeprovision: 'yes' }), 400, { fields: true });
    // May be left out, but null is not a boolean (as the OpenAPI document says).
    expectError(await trigger(id, { allowMassDeprovision: null }), 400, { fields: true });
    expectError(await trigger(id, { force: true }), 400, { fields: true });
    const scim = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({ name: 'push', type: 'scim' })
      .expect(201);
    expectError(await trigger((scim.body as { id: string }).id), 409);
    const rows = await t.db.query(`SELECT 1 FROM job WHERE dedupe_key = $1`, [id]);
    expect(rows).toEqual([]);
  });
});

describe('running jobs', () => {
  it('runs a job to SUCCEEDED with its stats', async () => {
    const id = await createConnection('success');
    const jobId = await triggered(id);
    await worker.drain();
    const done = await job(jobId);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 1,
      lastError: null,
      stats: { fetched: 3, created: expect.any(Number) as unknown, skipped: 0 },
    });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    const connection = await t.http().get(`/api/directory/${id}`).set(bearer(acme.adminKey));
    expect(connection.body).toMatchObject({ status: 'ACTIVE', lastSyncCount: 3 });
  });

  it('retries a transient failure after the backoff, then succeeds', async () => {
    const id = await createConnection('flaky');
    const jobId = await triggered(id);
    await settleOtherJobs(id);
    okta.faults.push({ status: 503 });
    const before = Date.now();
    await worker.drain();
    const failed = await job(jobId);
    expect(failed).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(failed.lastError).toMatch(/Okta answered 503/);
    // The normal backoff, although the 503 carried Okta's rate-limit headers (reset in 60 s).
    expect(Date.parse(failed.runAfter)).toBeGreaterThanOrEqual(before + 1000);
    expect(Date.parse(failed.runAfter)).toBeLessThan(Date.now() + 5_000);

    await untilDue(jobId);
    await worker.drain();
    expect(await job(jobId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, lastError: null });
  });

  it('fails for good once the attempts are used up', async () => {
    const id = await createConnection('down', { maxAttempts: 2 });
    const jobId = await triggered(id);
    await settleOtherJobs(id);
    okta.faults.push({ status: 503 }, { status: 503 });
    await worker.drain();
    await untilDue(jobId);
    await worker.drain();
    const failed = await job(jobId);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 2, maxAttempts: 2 });
    expect(failed.lastError).toMatch(/503/);
    expect(failed.finishedAt).not.toBeNull();
  });

  it('fails at once on refused credentials', async () => {
    const id = await createConnection('refused', { maxAttempts: 5 });
    const jobId = await triggered(id);
    await settleOtherJobs(id);
    okta.faults.push({ status: 401 });
    await worker.drain();
    expect(await job(jobId)).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      lastError: 'Okta refused the credentials (401): Invalid token provided',
    });
  });

  it('waits at least as long as a rate-limit reset before retrying', async () => {
    const id = await createConnection('throttled');
    const jobId = await triggered(id);
    await settleOtherJobs(id);
    const reset = Math.floor(Date.now() / 1000) + 120;
    okta.faults.push({ status: 429, reset });
    await worker.drain();
    const waiting = await job(jobId);
    expect(waiting.status).toBe('PENDING');
    expect(Date.parse(waiting.runAfter)).toBeGreaterThanOrEqual(reset * 1000 - 1000);
    await t.db.query(`UPDATE job SET status = 'CANCELLED' WHERE id = $1`, [jobId]);
  });

  it('waits for the Retry-After of a 5xx before retrying', async () => {
    const id = await createConnection('unavailable');
    const jobId = await triggered(id);
    await settleOtherJobs(id);
    okta.faults.push({ status: 503, retryAfter: 120 });
    const before = Date.now();
    await worker.drain();
    const waiting = await job(jobId);
    expect(waiting.status).toBe('PENDING');
    expect(Date.parse(waiting.runAfter)).toBeGreaterThanOrEqual(before + 119_000);
    await t.db.query(`UPDATE job SET status = 'CANCELLED' WHERE id = $1`, [jobId]);
  });

  it('fails the mass-deprovision guard at once, and runs when allowed', async () => {
    okta.setUsers(Array.from({ length: 10 }, (_, i) => oktaUser(100 + i)));
    const id = await createConnection('shrinking');
    await triggered(id);
    await worker.drain();
    okta.setUsers([oktaUser(100)]);
    const refused = await triggered(id);
    await worker.drain();
    expect(await job(refused)).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect((await job(refused)).lastError).toMatch(/deactivate 9 of 10/);

    const allowed = await triggered(id, { allowMassDeprovision: true });
    await worker.drain();
    expect(await job(allowed)).toMatchObject({ status: 'SUCCEEDED', stats: { deactivated: 9 } });
    okta.setUsers([oktaUser(1), oktaUser(2), oktaUser(3)]);
  });

  it('reaps a job whose worker died, and another worker completes it', async () => {
    const id = await createConnection('orphan');
    const jobId = await triggered(id);
    await settleOtherJobs(id);
    const [claimed] = await queue.claim('sync', 'worker-that-dies', 1, 300);
    expect(claimed.id).toBe(jobId);
    await sleep(350); // the lease (300 ms) runs out: no heartbeat comes
    await worker.drain();
    const done = await job(jobId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    const [row] = await t.db.query(`SELECT locked_by FROM job WHERE id = $1`, [jobId]);
    expect(row.locked_by).toBeNull();
  });

  it('cancels a running job at its next heartbeat', async () => {
    const id = await createConnection('long');
    const jobId = await triggered(id);
    let release!: () => void;
    okta.hold = new Promise((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (okta.onRequest = () => resolve()));
    const draining = worker.drain();
    await arrived;
    const res = await t
      .http()
      .post(`/api/sync-jobs/${jobId}/cancel`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(res.body).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    await draining;
    release();
    expect(await job(jobId)).toMatchObject({ status: 'CANCELLED', lastError: 'cancelled' });
  });
});

describe('the scheduler', () => {
  it('enqueues a due connection once, however many instances ask at once', async () => {
    const id = await createConnection('hourly', { syncIntervalMinutes: 60 });
    await Promise.all(Array.from({ length: 5 }, () => jobs.enqueueDueSchedules()));
    const rows = await t.db.query(`SELECT id, trigger, status FROM job WHERE dedupe_key = $1`, [
      id,
    ]);
    expect(rows).toEqual([
      { id: expect.any(String) as unknown, trigger: 'schedule', status: 'PENDING' },
    ]);

    await worker.drain();
    expect(await jobs.enqueueDueSchedules()).toBe(0); // ran just now: not due
    // An hour passes, for the job and for the connection's schedule.
    await t.db.query(
      `UPDATE job SET finished_at = now() - interval '61 minutes' WHERE dedupe_key = $1`,
      [id],
    );
    await t.db.query(
      `UPDATE job_schedule SET next_run_at = next_run_at - interval '61 minutes'
        WHERE dedupe_key = $1`,
      [id],
    );
    expect(await jobs.enqueueDueSchedules()).toBe(1);
  });

  it('lets a failed connection wait for its next interval', async () => {
    const id = await createConnection('failing', { syncIntervalMinutes: 5, maxAttempts: 1 });
    await jobs.enqueueDueSchedules();
    await settleOtherJobs(id);
    okta.faults.push({ status: 401 });
    await worker.drain();
    const [last] = await t.db.query(`SELECT status FROM job WHERE dedupe_key = $1`, [id]);
    expect(last.status).toBe('FAILED');
    await jobs.enqueueDueSchedules();
    const rows = await t.db.query(`SELECT 1 FROM job WHERE dedupe_key = $1`, [id]);
    expect(rows).toHaveLength(1);
  });
});

describe('a connection’s schedule', () => {
  const schedule = async (id: string) =>
    t.db.query(`SELECT every::text, max_attempts FROM job_schedule WHERE dedupe_key = $1`, [id]);

  it('follows its interval: set on create, changed by PATCH, gone with the interval or the connection', async () => {
    const id = await createConnection('scheduled', { syncIntervalMinutes: 30, maxAttempts: 2 });
    expect(await schedule(id)).toEqual([{ every: '00:30:00', max_attempts: 2 }]);
    const patch = (body: object) =>
      t.http().patch(`/api/directory/${id}`).set(bearer(acme.adminKey)).send(body).expect(200);
    await patch({ syncIntervalMinutes: 120, maxAttempts: 3 });
    expect(await schedule(id)).toEqual([{ every: '02:00:00', max_attempts: 3 }]);
    await patch({ syncIntervalMinutes: null });
    expect(await schedule(id)).toEqual([]);
    await patch({ syncIntervalMinutes: 15 });
    await t.http().delete(`/api/directory/${id}`).set(bearer(acme.adminKey)).expect(204);
    expect(await schedule(id)).toEqual([]);
  });
});

describe('the jobs API', () => {
  let connectionId: string;
  let failedId: string;
  beforeAll(async () => {
    connectionId = await createConnection('api', { maxAttempts: 1 });
    failedId = await triggered(connectionId);
    okta.faults.push({ status: 401 });
    await worker.drain();
  });

  it('lists a company’s jobs newest first, with filters and a cursor', async () => {
    const all: JobView[] = [];
    let cursor: string | null = null;
    do {
      const res = await t
        .http()
        .get(`/api/sync-jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(acme.adminKey))
        .expect(200);
      const page = res.body as { items: JobView[]; nextCursor: string | null };
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM job`);
    expect(all).toHaveLength(n as number);
    expect(new Set(all.map((j) => j.id)).size).toBe(all.length);

    const filtered = await t
      .http()
      .get(`/api/sync-jobs?connectionId=${connectionId}&status=FAILED`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect((filtered.body as { items: JobView[] }).items.map((j) => j.id)).toEqual([failedId]);

    for (const query of [
      '?status=DONE',
      '?limit=0',
      '?limit=201',
      '?connectionId=x',
      '?cursor=x',
    ]) {
      expectError(await t.http().get(`/api/sync-jobs${query}`).set(bearer(acme.adminKey)), 400, {
        fields: true,
      });
    }
  });

  it('retries a FAILED job as a new job, and refuses to retry others', async () => {
    const res = await t
      .http()
      .post(`/api/sync-jobs/${failedId}/retry`)
      .set(bearer(acme.adminKey))
      .expect(202);
    const retried = res.body as { jobId: string; status: string };
    expect(retried.jobId).not.toBe(failedId);
    expect(res.headers.location).toBe(`/api/sync-jobs/${retried.jobId}`);
    expect(await job(retried.jobId)).toMatchObject({ trigger: 'retry', status: 'PENDING' });
    expectError(
      await t.http().post(`/api/sync-jobs/${retried.jobId}/retry`).set(bearer(acme.adminKey)),
      409,
    );
  });

  it('cancels a PENDING job at once, and refuses to cancel a finished one', async () => {
    const pending = await t.db.query<{ id: string }>(
      `SELECT id FROM job WHERE dedupe_key = $1 AND status = 'PENDING'`,
      [connectionId],
    );
    const res = await t
      .http()
      .post(`/api/sync-jobs/${pending[0].id}/cancel`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(res.body).toMatchObject({ status: 'CANCELLED' });
    expectError(
      await t.http().post(`/api/sync-jobs/${failedId}/cancel`).set(bearer(acme.adminKey)),
      409,
    );
  });

  it('keeps every route company-scoped and admin-only for writes', async () => {
    const other = await createCompany(t, 'Stranger');
    const viewer = await createKey(t, acme.adminKey, 'viewer');
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const path of [`/api/sync-jobs/${failedId}`, `/api/sync-jobs/${missing}`]) {
      expectError(await t.http().get(path).set(bearer(other.adminKey)), 404);
    }
    for (const action of ['retry', 'cancel']) {
      expectError(
        await t.http().post(`/api/sync-jobs/${failedId}/${action}`).set(bearer(other.adminKey)),
        404,
      );
      expectError(
        await t.http().post(`/api/sync-jobs/${failedId}/${action}`).set(bearer(viewer.key)),
        403,
      );
      await t.http().post(`/api/sync-jobs/${failedId}/${action}`).expect(401);
    }
    await t.http().get('/api/sync-jobs').expect(401);
    expectError(await t.http().get('/api/sync-jobs/abc').set(bearer(acme.adminKey)), 400);
    const list = await t.http().get('/api/sync-jobs').set(bearer(other.adminKey)).expect(200);
    expect((list.body as { items: unknown[] }).items).toEqual([]);
    await t.http().get(`/api/sync-jobs/${failedId}`).set(bearer(viewer.key)).expect(200);
  });

  it('cancels the jobs of a deleted connection and keeps them readable', async () => {
    const id = await createConnection('doomed');
    const jobId = await triggered(id);
    await t.http().delete(`/api/directory/${id}`).set(bearer(acme.adminKey)).expect(204);
    expect(await job(jobId)).toMatchObject({
      status: 'CANCELLED',
      connectionId: null,
      lastError: 'the connection was deleted',
    });
  });

  it('retries with the connection’s attempts as they are now', async () => {
    const id = await createConnection('retried', { maxAttempts: 1 });
    const failed = await triggered(id);
    await settleOtherJobs(id);
    okta.faults.push({ status: 401 });
    await worker.drain();
    expect(await job(failed)).toMatchObject({ status: 'FAILED', maxAttempts: 1 });
    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ maxAttempts: 3 })
      .expect(200);
    const res = await t
      .http()
      .post(`/api/sync-jobs/${failed}/retry`)
      .set(bearer(acme.adminKey))
      .expect(202);
    expect(await job((res.body as { jobId: string }).jobId)).toMatchObject({ maxAttempts: 3 });
  });
});

describe('several workers on one queue', () => {
  it('process 200 jobs exactly once each, never two of one connection at a time', async () => {
    const second = await startTestApp(QUEUE_ENV, t.db);
    fullCyclesOnly(second, 'okta');
    try {
      // The queue is what is tested here: the fleet's syncs read users only.
      const connections = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          createConnection(`fleet-${i}`, {
            config: { orgUrl: okta.url, apiToken: tokenFor(`fleet-${i}`), syncGroups: false },
          }),
        ),
      );
      const byToken = new Map(connections.map((id, i) => [tokenFor(`fleet-${i}`), id]));
      let created = 0;
      const enqueue = async (id: string) => {
        if (created >= 200) return;
        created++;
        const res = await trigger(id);
        if ((res.body as { deduplicated: boolean }).deduplicated) created--;
      };
      for (const id of connections) await enqueue(id);
      // Each sync, while running, asks for a follow-up of its own connection.
      okta.onRequest = (token) => {
        const id = byToken.get(token);
        if (id) void enqueue(id);
      };
      const workers = [worker, second.app.get(QueueWorker)];
      for (;;) {
        await Promise.all(workers.map((w) => w.drain()));
        const [{ open }] = await t.db.query(
          `SELECT count(*)::int AS open FROM job
            WHERE dedupe_key = ANY($1) AND status IN ('PENDING', 'RUNNING')`,
          [connections],
        );
        if (open === 0 && created >= 200) break;
      }
      const rows = await t.db.query<{ status: string; attempts: number }>(
        `SELECT status, attempts FROM job WHERE dedupe_key = ANY($1)`,
        [connections],
      );
      expect(rows).toHaveLength(200);
      expect(rows.every((r) => r.status === 'SUCCEEDED' && r.attempts === 1)).toBe(true);
      const requests = okta.requests.filter((r) => byToken.has(r.authorization?.slice(5) ?? ''));
      expect(requests).toHaveLength(200);
      for (const token of byToken.keys()) expect(okta.maxInFlight.get(token)).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe('the rate limit on triggers', () => {
  it('answers 429 with Retry-After past SYNC_TRIGGER_RATE_LIMIT a minute', async () => {
    const limited = await startTestApp({ ...QUEUE_ENV, SYNC_TRIGGER_RATE_LIMIT: '3' });
    try {
      const company = await createCompany(limited, 'Busy');
      const res = await limited
        .http()
        .post('/api/directory')
        .set(bearer(company.adminKey))
        .send({ name: 'o', type: 'okta', config: { orgUrl: okta.url, apiToken: 'x' } })
        .expect(201);
      const path = `/api/directory/${(res.body as { id: string }).id}/sync`;
      for (let i = 0; i < 3; i++) {
        await limited.http().post(path).set(bearer(company.adminKey)).expect(202);
      }
      const refused = await limited.http().post(path).set(bearer(company.adminKey));
      expectError(refused, 429);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    } finally {
      await limited.close();
    }
  });
});

describe('with the worker loop running (ROLE=all)', () => {
  it('starts a job right after the POST, long before the poll interval', async () => {
    const live = await startTestApp({ ...QUEUE_ENV, ROLE: 'all', SYNC_POLL_INTERVAL_MS: '600000' });
    try {
      const company = await createCompany(live, 'Live');
      const created = await live
        .http()
        .post('/api/directory')
        .set(bearer(company.adminKey))
        .send({ name: 'o', type: 'okta', config: { orgUrl: okta.url, apiToken: 'x' } })
        .expect(201);
      const posted = Date.now();
      const res = await live
        .http()
        .post(`/api/directory/${(created.body as { id: string }).id}/sync`)
        .set(bearer(company.adminKey))
        .expect(202);
      const jobId = (res.body as { jobId: string }).jobId;
      let status = 'PENDING';
      while (status !== 'SUCCEEDED' && Date.now() - posted < 5000) {
        await sleep(10);
        const got = await live.http().get(`/api/sync-jobs/${jobId}`).set(bearer(company.adminKey));
        status = (got.body as JobView).status;
      }
      expect(status).toBe('SUCCEEDED');
    } finally {
      await live.close();
    }
  });
});
