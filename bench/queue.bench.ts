import 'reflect-metadata';
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../src/common/free-port.js';
import { generateToken } from '../src/auth/secret-token.js';
import { ConfigCrypto } from '../src/directory/config-crypto.js';
import { SQL } from '../src/queue/job-queue.js';
import { benchServer } from './bench-server.js';

/**
 * npm run bench:queue [-- SYNC_JOBS NOOP_JOBS]: the job queue with real worker processes on
 * one database, all on this machine's cores:
 *   (a) sync kind: SYNC_JOBS (10,000) syncs with a trivial provider (a local Okta whose
 *       directory is empty: one real HTTP request, nothing written), drained by 1, 2 and 4
 *       worker processes (`dist/worker.js`, SYNC_CONCURRENCY=8);
 *   (b) HTTP: POST /api/directory/:id/sync under autocannon (a real API process, ROLE=api);
 *   (c) pickup latency: 1,000 no-op jobs enqueued one at a time on an idle worker that only
 *       NOTIFY can wake, from the enqueue's commit to RUNNING (both from the database clock);
 *   (d) no-op kind: NOOP_JOBS (20,000) jobs whose handler does nothing, drained by 1, 2 and 4
 *       worker processes (bench/noop-worker.ts: the service's worker plus that kind): the
 *       speed of the queue itself. The last line is its 4-worker run.
 * Jobs are enqueued with the queue's own enqueue statement, in one statement per run; a run
 * lasts from the enqueue's commit to the last job's finished_at. DATABASE_URL's server when
 * set, else an embedded PostgreSQL in a temporary folder. BENCH_ONLY=sync,http,pickup,noop
 * runs some parts only.
 */
const SYNC_JOBS = Number(process.argv[2] ?? 10_000);
const NOOP_JOBS = Number(process.argv[3] ?? 20_000);
const SYNC_CONCURRENCY = '8';
const NOOP_CONCURRENCY = process.env.NOOP_CONCURRENCY ?? '100';
const READY = 'noop worker ready';
const KEY = Buffer.alloc(32, 9);
const crypto = new ConfigCrypto(KEY);
const children: ChildProcess[] = [];
const only = process.env.BENCH_ONLY?.split(',');
const runs = (part: string) => !only || only.includes(part);

let oktaUrl = '';
if (runs('sync') || runs('http')) {
  const okta = spawn(process.execPath, ['dist/test/fakes/fake-okta-process.js', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(okta);
  oktaUrl = ((await once(okta.stdout, 'data')) as [Buffer])[0].toString().trim();
}

const server = await benchServer();

try {
  const { rows } = await server.admin.query<{ server_version: string }>(`SHOW server_version`);
  console.log(
    `bench:queue on PostgreSQL ${rows[0].server_version} (${server.origin}); ` +
      `per worker process: sync concurrency ${SYNC_CONCURRENCY}, no-op concurrency ` +
      `${NOOP_CONCURRENCY}`,
  );
  if (runs('sync')) for (const workers of [1, 2, 4]) await throughput('sync', workers);
  if (runs('http')) await httpTrigger();
  if (runs('pickup')) await pickupLatency(1000);
  if (runs('noop')) for (const workers of [1, 2, 4]) await throughput('noop', workers);
} finally {
  for (const child of children) child.kill('SIGKILL');
  await server.stop();
}

/** A fresh migrated database with one company and `connections` Okta connections. */
async function freshDatabase(connections: number) {
  const database = await server.createDatabase();
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const [{ id: companyId }] = (
    await db.query<{ id: string }>(
      `INSERT INTO company (id, name) VALUES (gen_random_uuid(), 'Bench') RETURNING id`,
    )
  ).rows;
  const key = generateToken('dsk');
  await db.query(
    `INSERT INTO api_key (id, company_id, name, role, key_hash, prefix)
     VALUES (gen_random_uuid(), $1, 'bench', 'admin', $2, $3)`,
    [companyId, key.hash, key.prefix],
  );
  const ids: string[] = [];
  const blobs: Buffer[] = [];
  for (let i = 0; i < connections; i++) {
    const id = globalThis.crypto.randomUUID();
    ids.push(id);
    blobs.push(crypto.encrypt({ orgUrl: oktaUrl, apiToken: 'bench-token' }, id));
  }
  await db.query(
    `INSERT INTO directory_connection (id, company_id, name, type, status, config_encrypted,
                                       max_attempts, deprovision_threshold_percent)
     SELECT id, $1, 'bench', 'okta', 'PENDING', blob, 4, 20
       FROM unnest($2::uuid[], $3::bytea[]) AS c(id, blob)`,
    [companyId, ids, blobs],
  );
  return {
    url: database.url,
    db,
    companyId,
    apiKey: key.token,
    connectionIds: ids,
    /** Enqueues jobs of `kind` with the queue's enqueue statement; returns their ids. */
    enqueue: async (kind: string, keys: (string | null)[]) => {
      const result = await db.query<{ id: string }>(SQL.enqueue, [
        kind,
        keys.map(() => companyId),
        keys,
        keys.map(() => null),
        keys.map(() => '{}'),
        keys.map(() => 'manual'),
        keys.map(() => 4),
      ]);
      return result.rows.map((row) => row.id);
    },
    drop: async () => {
      await db.end();
      await database.drop();
    },
  };
}

function serviceProcess(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      ENCRYPTION_KEY: KEY.toString('base64'),
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'warn',
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Its warnings and errors, if any; not the no-op worker's line saying it is ready.
  child.stdout?.on('data', (chunk: Buffer) => {
    if (!chunk.toString().includes(READY)) process.stderr.write(chunk);
  });
  children.push(child);
  return child;
}

/** Worker processes, once each is listening (and, for no-op workers, has the kind). */
async function startWorkers(
  kind: 'sync' | 'noop',
  count: number,
  url: string,
  env: Record<string, string> = {},
) {
  const entry = kind === 'noop' ? 'dist/bench/noop-worker.js' : 'dist/worker.js';
  const workers = Array.from({ length: count }, () =>
    serviceProcess(entry, { DATABASE_URL: url, ...env }),
  );
  if (kind === 'noop') {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.stdout?.on('data', (chunk: Buffer) => {
              if (chunk.toString().includes(READY)) resolve();
            });
          }),
      ),
    );
  }
  const database = new URL(url).pathname.slice(1);
  for (;;) {
    const { rows } = await server.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'directory-sync listener'`,
      [database],
    );
    if (rows[0].n >= count) return workers;
    await sleep(50);
  }
}

async function stopAll(processes: ChildProcess[]) {
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.filter((p) => p.exitCode === null).map((p) => once(p, 'exit')));
}

async function throughput(kind: 'sync' | 'noop', workerCount: number) {
  const jobs = kind === 'sync' ? SYNC_JOBS : NOOP_JOBS;
  const bench = await freshDatabase(kind === 'sync' ? jobs : 0);
  const workers = await startWorkers(kind, workerCount, bench.url, {
    SYNC_CONCURRENCY,
    NOOP_CONCURRENCY,
  });
  const keys = kind === 'sync' ? bench.connectionIds : Array<null>(jobs).fill(null);
  await bench.enqueue(kind, keys);
  const {
    rows: [{ committed }],
  } = await bench.db.query<{ committed: Date }>(`SELECT now() AS committed`);
  for (;;) {
    const { rows } = await bench.db.query<{ open: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM job WHERE status IN ('PENDING', 'RUNNING')) AS open`,
    );
    if (!rows[0].open) break;
    await sleep(50);
  }
  const { rows } = await bench.db.query<{ seconds: number; done: number }>(
    `SELECT extract(epoch FROM max(finished_at) - $1::timestamptz)::float8 AS seconds,
            count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS done
       FROM job`,
    [committed],
  );
  const { seconds, done } = rows[0];
  const label = kind === 'sync' ? 'sync kind' : 'queue';
  console.log(
    `${label}: ${workerCount} workers, ${done} jobs, ${seconds.toFixed(2)} s, ` +
      `${Math.round(done / seconds)} jobs/s`,
  );
  await stopAll(workers);
  await bench.drop();
}

async function pickupLatency(count: number) {
  const bench = await freshDatabase(0);
  const workers = await startWorkers('noop', 1, bench.url, { SYNC_POLL_INTERVAL_MS: '60000' });
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    // From just before the enqueue's commit (the enqueue statement's own time is not pickup).
    await bench.db.query('BEGIN');
    const [id] = await bench.enqueue('noop', [null]);
    const {
      rows: [{ committing }],
    } = await bench.db.query<{ committing: Date }>(`SELECT clock_timestamp() AS committing`);
    await bench.db.query('COMMIT');
    for (;;) {
      const result = await bench.db.query<{ ms: number | null; status: string }>(
        `SELECT extract(epoch FROM started_at - $2::timestamptz) * 1000 AS ms, status
           FROM job WHERE id = $1`,
        [id, committing],
      );
      if (result.rows[0].status === 'SUCCEEDED') {
        latencies.push(Number(result.rows[0].ms));
        break;
      }
      await sleep(1);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  console.log(
    `pickup: ${count} no-op jobs one by one, enqueue commit -> RUNNING: ` +
      `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`,
  );
  await stopAll(workers);
  await bench.drop();
}

async function httpTrigger() {
  const bench = await freshDatabase(100);
  const port = await freePort();
  const api = serviceProcess('dist/main.js', {
    DATABASE_URL: bench.url,
    PORT: String(port),
    ROLE: 'api',
    SYNC_TRIGGER_RATE_LIMIT: '0',
  });
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/live`)).ok) break;
    } catch {
      await sleep(100);
    }
  }
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 20,
    duration: 10,
    requests: bench.connectionIds.map((id) => ({
      method: 'POST',
      path: `/api/directory/${id}/sync`,
      headers: { authorization: `Bearer ${bench.apiKey}`, 'content-type': 'application/json' },
      body: '{}',
    })),
  });
  console.log(
    `http: POST /api/directory/:id/sync, 20 connections, 10 s: ` +
      `${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, ` +
      `p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
  );
  await stopAll([api]);
  await bench.drop();
}
