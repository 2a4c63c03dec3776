import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { freePort } from '../src/common/free-port.js';
import { ifLockAvailable } from '../src/database/advisory-lock.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { runMigrations } from '../src/database/migrate.js';
import { JobQueue } from '../src/queue/job-queue.js';
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
 * The queue across real processes: worker processes (`dist/worker.js`) and this test's API
 * app (ROLE=api) share one database, the way a deployment of N API + M workers does.
 */
let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;
const processes: ServiceProcess[] = [];

function worker(env: Record<string, string> = {}): ServiceProcess {
  const started = startServiceProcess('worker', {
    DATABASE_URL: t.db.url,
    SYNC_POLL_INTERVAL_MS: '200',
    SYNC_LEASE_MS: '1500',
    ...env,
  });
  processes.push(started);
  return started;
}

async function createConnection(name: string): Promise<string> {
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(acme.adminKey))
    .send({
      name,
      type: 'okta',
      maxAttempts: 10,
      config: { orgUrl: okta.url, apiToken: `token-${name}` },
    })
    .expect(201);
  return (res.body as { id: string }).id;
}

async function trigger(connectionId: string): Promise<{ jobId: string; deduplicated: boolean }> {
  const res = await t
    .http()
    .post(`/api/directory/${connectionId}/sync`)
    .set(bearer(acme.adminKey))
    .send({})
    .expect(202);
  return res.body as { jobId: string; deduplicated: boolean };
}

async function jobRow(id: string) {
  const [row] = await t.db.query<{
    status: string;
    attempts: number;
    locked_by: string | null;
    created_at: Date;
    started_at: Date | null;
  }>(`SELECT status, attempts, locked_by, created_at, started_at FROM job WHERE id = $1`, [id]);
  return row;
}

beforeAll(async () => {
  okta = new FakeOkta({ token: 'any', users: [oktaUser(1), oktaUser(2)] });
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
beforeEach(() => {
  okta.hold = undefined;
  okta.onRequest = undefined;
});

describe('graceful shutdown', () => {
  it('releases a sync that cannot finish within the grace period, and exits 0', async () => {
    const id = await createConnection('slow');
    const w = worker({ SHUTDOWN_GRACE_MS: '200' });
    await w.waitFor('worker started');
    okta.hold = new Promise(() => {}); // never answers
    const arrived = new Promise<void>((resolve) => (okta.onRequest = () => resolve()));
    const { jobId } = await trigger(id);
    await arrived;
    expect((await jobRow(jobId)).status).toBe('RUNNING');

    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(await jobRow(jobId)).toMatchObject({ status: 'PENDING', attempts: 0, locked_by: null });
    await t.db.query(`UPDATE job SET status = 'CANCELLED' WHERE id = $1`, [jobId]);
  });

  it('lets a sync finish within the grace period, and exits 0', async () => {
    const id = await createConnection('finishing');
    const w = worker({ SHUTDOWN_GRACE_MS: '10000' });
    await w.waitFor('worker started');
    let release!: () => void;
    okta.hold = new Promise((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (okta.onRequest = () => resolve()));
    const { jobId } = await trigger(id);
    await arrived;

    w.child.kill('SIGTERM');
    await w.waitFor('SIGTERM received');
    release();
    expect(await w.exited).toBe(0);
    expect(await jobRow(jobId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });
});

describe('instant pickup', () => {
  it('starts a job enqueued by another process through NOTIFY, long before the poll', async () => {
    const id = await createConnection('notified');
    const w = worker({ SYNC_POLL_INTERVAL_MS: '600000' });
    await w.waitFor('worker started');
    await sleep(200); // its LISTEN connection is up
    const { jobId } = await trigger(id);
    await eventually(async () => (await jobRow(jobId)).status === 'SUCCEEDED', 10_000, 'SUCCEEDED');
    const row = await jobRow(jobId);
    expect(row.started_at!.getTime() - row.created_at.getTime()).toBeLessThan(1000);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });
});

describe('three workers, one of them killed now and then', () => {
  it('drain 300 jobs: none lost, none stuck, never two at once for one connection', async () => {
    const connections = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createConnection(`pool-${i}`)),
    );
    const byToken = new Map(connections.map((id, i) => [`token-pool-${i}`, id]));
    let created = 0;
    const enqueue = async (id: string) => {
      if (created >= 300) return;
      created++;
      if ((await trigger(id)).deduplicated) created--;
    };
    // Every sync, while it runs, asks for a follow-up of its own connection.
    okta.onRequest = (token) => {
      const id = byToken.get(token);
      if (id) void enqueue(id).catch(() => undefined);
    };
    okta.delayMs = 40; // each sync takes a moment, so kills land mid-sync
    // "Never two at once" holds while a live worker's heartbeat (every lease/3) keeps its lease:
    // a lease of 1 s was outlived by a worker starved of CPU while three others booted on 2
    // cores (Node.js 22, in CI), and its job was handed on while it still ran.
    const env = { SYNC_CONCURRENCY: '4', SYNC_LEASE_MS: '3000' };
    for (const id of connections) await enqueue(id); // each connection's first job
    const workers = [worker(env), worker(env), worker(env)];
    // Three processes boot at once beside the other spec files: give them time on 2 cores.
    await Promise.all(workers.map((w) => w.waitFor('worker started', 45_000)));

    const open = async () => {
      const [{ n }] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM job
          WHERE dedupe_key = ANY($1) AND status IN ('PENDING', 'RUNNING')`,
        [connections],
      );
      return n;
    };
    let kills = 0;
    while (created < 300 || (await open()) > 0) {
      await sleep(100 + Math.random() * 150);
      if (kills < 4) {
        const victim = Math.floor(Math.random() * workers.length);
        workers[victim].child.kill('SIGKILL');
        await workers[victim].exited;
        workers[victim] = worker(env);
        kills++;
      }
    }
    okta.delayMs = 0;
    expect(kills).toBe(4);

    const rows = await t.db.query<{ status: string; last_error: string | null }>(
      `SELECT status, last_error FROM job WHERE dedupe_key = ANY($1)`,
      [connections],
    );
    expect(rows).toHaveLength(300);
    // A job whose worker was killed either ran again (SUCCEEDED, attempts 2), or — when its
    // connection already had a follow-up waiting — ended FAILED saying the follow-up redoes it.
    const notSucceeded = rows.filter((r) => r.status !== 'SUCCEEDED');
    expect(notSucceeded.every((r) => r.last_error === 'worker lost (a newer job will retry)')).toBe(
      true,
    );
    expect(notSucceeded.length).toBeLessThanOrEqual(4 * 4); // at most the killed workers' jobs
    const lastJobs = await t.db.query<{ status: string }>(
      `SELECT DISTINCT ON (dedupe_key) status FROM job
        WHERE dedupe_key = ANY($1) ORDER BY dedupe_key, created_at DESC`,
      [connections],
    );
    expect(lastJobs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    for (const token of byToken.keys()) expect(okta.maxInFlight.get(token)).toBe(1);
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
  }, 90_000);
});

describe('retention', () => {
  beforeAll(async () => {
    // No worker of an earlier test may sweep concurrently.
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
  });

  it('deletes only old finished jobs, and keeps each connection’s latest one', async () => {
    const a = await createConnection('history-a');
    const b = await createConnection('history-b');
    const insert = (connection: string | null, status: string, finishedDaysAgo: number | null) =>
      t.db.query<{ id: string }>(
        `INSERT INTO job (kind, dedupe_key, company_id, status, trigger, max_attempts,
                          finished_at, created_at)
         VALUES ('sync', $1, $2, $3, 'manual', 4, now() - $4 * interval '1 day',
                 now() - coalesce($4, 0) * interval '1 day')
         RETURNING id`,
        [connection, acme.id, status, finishedDaysAgo],
      );
    const [oldA] = await insert(a, 'SUCCEEDED', 40);
    const [olderA] = await insert(a, 'FAILED', 50);
    const [recentA] = await insert(a, 'SUCCEEDED', 2);
    const [onlyB] = await insert(b, 'FAILED', 90); // b's latest: kept however old
    const [orphan] = await insert(null, 'CANCELLED', 45);
    const [waiting] = await insert(a, 'PENDING', null);

    // Another instance holds the housekeeping lock: this one does not sweep.
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock(7346213002)');
    const jobs = t.app.get(JobQueue);
    const swept = await ifLockAvailable(t.app.get(DataSource), 7_346_213_002, async () => {
      await jobs.deleteFinishedOlderThan(30);
    });
    expect(swept).toBe(false);
    await other.end();

    expect(await jobs.deleteFinishedOlderThan(30, 1)).toBe(3);
    const left = await t.db.query<{ id: string }>(`SELECT id FROM job WHERE id = ANY($1)`, [
      [oldA.id, olderA.id, recentA.id, onlyB.id, orphan.id, waiting.id],
    ]);
    expect(left.map((r) => r.id).sort()).toEqual([recentA.id, onlyB.id, waiting.id].sort());
  });
});

describe('losing the database for a while', () => {
  it('keeps the process up, reports 503 on /health/ready, and recovers', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'directory-sync-outage-'));
    const pgPort = await freePort();
    let server = await startEmbeddedPostgres(dataDir, () => {}, pgPort);
    try {
      const adminUrl = new URL(server.adminUrl);
      const admin = new pg.Client({ connectionString: adminUrl.toString() });
      await admin.connect();
      await admin.query('CREATE DATABASE outage');
      await admin.end();
      adminUrl.pathname = '/outage';
      await runMigrations(adminUrl.toString());

      const port = await freePort();
      const api = startServiceProcess('main', {
        DATABASE_URL: adminUrl.toString(),
        PORT: String(port),
        PLATFORM_ADMIN_TOKEN: 'platform',
        SYNC_POLL_INTERVAL_MS: '200',
      });
      processes.push(api);
      await api.waitFor('listening on');
      const ready = () => fetch(`http://127.0.0.1:${port}/health/ready`);
      expect((await ready()).status).toBe(200);

      await server.stop();
      const down = await ready();
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'error',
        error: { database: { status: 'down' } },
      });
      await sleep(500); // the worker's ticks fail meanwhile and back off
      expect(api.child.exitCode).toBeNull();

      server = await startEmbeddedPostgres(dataDir, () => {}, pgPort);
      await eventually(async () => (await ready()).status === 200, 20_000, 'ready again');
      const created = await fetch(`http://127.0.0.1:${port}/api/admin/companies`, {
        method: 'POST',
        headers: { authorization: 'Bearer platform', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'After the outage' }),
      });
      expect(created.status).toBe(201);
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
