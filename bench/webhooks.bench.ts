import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ConfigCrypto } from '../src/directory/config-crypto.js';
import { newSecret } from '../src/webhooks/webhook-signature.js';
import { benchServer } from './bench-server.js';

/**
 * npm run bench:webhooks [-- EVENTS ENDPOINTS WORKERS]: signed webhook delivery with real
 * worker processes (`dist/worker.js`) on one database, all on this machine's cores:
 *   (a) EVENTS (100,000) events, spread over ENDPOINTS (50) companies with one endpoint
 *       each, delivered to a local receiver (its own process) that answers 200 at once, by
 *       WORKERS (4) worker processes;
 *   (b) the same, plus one more company whose endpoint takes 2 s per request (with as many
 *       events as each other company): the other endpoints' rate, and what the slow one
 *       held meanwhile.
 * The events are appended in one statement (its NOTIFY wakes the fan-out); a run lasts from
 * that commit to the last delivery of the fast endpoints (`delivered_at`). DATABASE_URL's
 * server when set, else an embedded PostgreSQL in a temporary folder. BENCH_SKIP_SLOW=1 runs
 * (a) only; BENCH_DEBUG=1 prints where a delivery's time went (queued, job, HTTP);
 * BENCH_NODE_ARGS are given to the workers' node (e.g. --cpu-prof).
 */
const EVENTS = Number(process.argv[2] ?? 100_000);
const ENDPOINTS = Number(process.argv[3] ?? 50);
const WORKERS = Number(process.argv[4] ?? 4);
const KEY = Buffer.alloc(32, 9);
const crypto = new ConfigCrypto(KEY);
const children: ChildProcess[] = [];

const receiverProcess = spawn(process.execPath, ['dist/test/fakes/webhook-receiver-process.js'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(receiverProcess);
const receiver = ((await once(receiverProcess.stdout, 'data')) as [Buffer])[0].toString().trim();
const server = await benchServer();

try {
  const { rows } = await server.admin.query<{ server_version: string }>(`SHOW server_version`);
  console.log(
    `bench:webhooks on PostgreSQL ${rows[0].server_version} (${server.origin}); ` +
      `${EVENTS} events over ${ENDPOINTS} endpoints, ${WORKERS} worker processes ` +
      `(WEBHOOK_CONCURRENCY 50, WEBHOOK_ENDPOINT_CONCURRENCY 10)`,
  );
  await run(false);
  if (!process.env.BENCH_SKIP_SLOW) await run(true);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await server.stop();
}

async function run(withSlow: boolean) {
  const database = await server.createDatabase();
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const companies = ENDPOINTS + (withSlow ? 1 : 0);
  const { rows: made } = await db.query<{ id: string }>(
    `INSERT INTO company (id, name) SELECT gen_random_uuid(), 'bench ' || i FROM generate_series(1, $1) i
      RETURNING id`,
    [companies],
  );
  const ids = made.map((row) => row.id);
  const slowCompany = withSlow ? ids[ids.length - 1] : undefined;
  const endpointIds = ids.map(() => randomUUID());
  await db.query(
    `INSERT INTO webhook_endpoint (id, company_id, url, secret_encrypted, after_tx)
     SELECT id, company_id, url, secret, pg_snapshot_xmin(pg_current_snapshot())
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[]) AS e(id, company_id, url, secret)`,
    [
      endpointIds,
      ids,
      ids.map((id) => `${receiver}/${id === slowCompany ? 'slow' : 'fast'}/${id}`),
      endpointIds.map((id) => crypto.encrypt({ secret: newSecret() }, id)),
    ],
  );
  const workers = await startWorkers(database.url);
  const perCompany = Math.ceil(EVENTS / ENDPOINTS);
  await db.query(
    `INSERT INTO event (company_id, type, data)
     SELECT c.id, 'employee.updated',
            jsonb_build_object('id', gen_random_uuid(), 'email', 'person' || i || '@example.com',
                               'firstName', 'Person', 'lastName', 'Number ' || i,
                               'department', 'Engineering', 'title', 'Engineer',
                               'active', true, 'mfaEnabled', true,
                               'changedFields', jsonb_build_array('title'))
       FROM unnest($1::uuid[]) WITH ORDINALITY AS c(id, n), generate_series(1, $2) i
      ORDER BY i, c.n`,
    [ids, perCompany],
  );
  const {
    rows: [{ committed }],
  } = await db.query<{ committed: Date }>(`SELECT now() AS committed`);
  const fast = ENDPOINTS * perCompany;
  let slowMostRunning = 0;
  const slowEndpoint = withSlow ? endpointIds[endpointIds.length - 1] : undefined;
  for (;;) {
    const { rows: progress } = await db.query<{ done: number; slow_running: number }>(
      `SELECT (SELECT count(*) FROM webhook_delivery d
                WHERE d.status = 'delivered' AND ($1::uuid IS NULL OR d.endpoint_id <> $1))::int
                AS done,
              (SELECT count(*) FROM job WHERE concurrency_key = $1::text AND status = 'RUNNING')::int
                AS slow_running`,
      [slowEndpoint ?? null],
    );
    slowMostRunning = Math.max(slowMostRunning, progress[0].slow_running);
    if (progress[0].done >= fast) break;
    await sleep(200);
  }
  const { rows: result } = await db.query<{ seconds: number; slow: number; fanned: number }>(
    `SELECT extract(epoch FROM max(created_at) - $1::timestamptz)::float8 AS fanned,
            extract(epoch FROM max(delivered_at)
                                 FILTER (WHERE $2::uuid IS NULL OR endpoint_id <> $2)
                      - $1::timestamptz)::float8 AS seconds,
            count(*) FILTER (WHERE endpoint_id = $2 AND status = 'delivered')::int AS slow
       FROM webhook_delivery`,
    [committed, slowEndpoint ?? null],
  );
  const { seconds, slow, fanned } = result[0];
  console.log(
    `webhooks${withSlow ? ' + one 2 s endpoint' : ''}: ${fast} deliveries to ${ENDPOINTS} ` +
      `endpoints, ${WORKERS} workers, ${seconds.toFixed(2)} s, ${Math.round(fast / seconds)} ` +
      `deliveries/s (all made by the fan-out after ${fanned.toFixed(2)} s)` +
      (withSlow
        ? `; the slow endpoint: ${slow} delivered meanwhile, at most ${slowMostRunning} at once`
        : ''),
  );
  if (process.env.BENCH_DEBUG) {
    const { rows: debug } = await db.query(
      `SELECT avg(extract(epoch FROM finished_at - started_at) * 1000)::int AS job_ms,
              avg(extract(epoch FROM started_at - created_at) * 1000)::int AS wait_ms,
              (SELECT avg(duration_ms)::int FROM webhook_delivery) AS http_ms,
              count(DISTINCT locked_by) AS lockers, count(*) AS n
         FROM job WHERE kind = 'webhook' AND status = 'SUCCEEDED'`,
    );
    console.log(debug[0]);
  }
  await stopAll(workers);
  await db.end();
  await database.drop();
}

async function startWorkers(url: string): Promise<ChildProcess[]> {
  const workers = Array.from({ length: WORKERS }, () => {
    const child = spawn(
      process.execPath,
      [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), 'dist/worker.js'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: url,
          ENCRYPTION_KEY: KEY.toString('base64'),
          DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
          LOG_LEVEL: 'warn',
          // The slow endpoint's attempts are still running when a run ends: do not wait.
          SHUTDOWN_GRACE_MS: '0',
          ...(process.env.BENCH_NODE_OPTIONS
            ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }
            : {}),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    children.push(child);
    return child;
  });
  const database = new URL(url).pathname.slice(1);
  for (;;) {
    const { rows } = await server.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'directory-sync listener'`,
      [database],
    );
    if (rows[0].n >= WORKERS) return workers;
    await sleep(50);
  }
}

async function stopAll(processes: ChildProcess[]) {
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.filter((p) => p.exitCode === null).map((p) => once(p, 'exit')));
}
