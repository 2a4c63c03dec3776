import 'reflect-metadata';
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../src/common/free-port.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { runMigrations } from '../src/database/migrate.js';
import { generateToken } from '../src/auth/secret-token.js';
import { ConfigCrypto } from '../src/directory/config-crypto.js';

/**
 * npm run bench:queue: the job queue with a trivial provider (a local Okta whose directory is
 * empty), real worker processes (`dist/worker.js`) and a real API process (`dist/main.js`):
 *   (a) throughput: N jobs (default 10,000) drained by 1, 2 and 4 worker processes;
 *   (b) pickup latency: 1,000 jobs enqueued one by one on an idle queue, enqueue commit ->
 *       RUNNING (both timestamps from the database clock);
 *   (c) HTTP: POST /api/directory/:id/sync under autocannon.
 * DATABASE_URL's server when set, else an embedded PostgreSQL in a temporary folder.
 */
const JOBS = Number(process.argv[2] ?? 10_000);
const KEY = Buffer.alloc(32, 9);
const crypto = new ConfigCrypto(KEY);
const children: ChildProcess[] = [];

const okta = spawn(process.execPath, ['dist/test/fakes/fake-okta-process.js', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(okta);
const oktaUrl = ((await once(okta.stdout, 'data')) as [Buffer])[0].toString().trim();

let dataDir: string | undefined;
let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
let serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  dataDir = await mkdtemp(join(tmpdir(), 'directory-sync-bench-'));
  server = await startEmbeddedPostgres(dataDir, () => {});
  serverUrl = server.adminUrl;
}
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();

try {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'throughput') for (const workers of [1, 2, 4]) await throughput(workers);
  if (!only || only === 'pickup') await pickupLatency(1000);
  if (!only || only === 'http') await httpTrigger();
} finally {
  for (const child of children) child.kill('SIGKILL');
  await admin.end();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

/** A fresh migrated database with one company and `connections` Okta connections. */
async function freshDatabase(connections: number) {
  const name = `ds_bench_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  if (process.env.EXPERIMENT_ASYNC)
    await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  const db = new pg.Client({ connectionString: url.toString() });
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
    name,
    url: url.toString(),
    db,
    companyId,
    apiKey: key.token,
    connectionIds: ids,
    drop: async () => {
      await db.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    },
  };
}

function serviceProcess(entry: 'worker' | 'main', env: Record<string, string>) {
  const child = spawn(process.execPath, [`dist/${entry}.js`], {
    env: {
      PATH: process.env.PATH ?? '',
      ENCRYPTION_KEY: KEY.toString('base64'),
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'warn',
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

async function startWorkers(count: number, url: string, env: Record<string, string> = {}) {
  const workers = Array.from({ length: count }, () =>
    serviceProcess('worker', { DATABASE_URL: url, ...env }),
  );
  // Ready when every worker's LISTEN connection is up.
  const database = new URL(url).pathname.slice(1);
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
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

async function throughput(workerCount: number) {
  const bench = await freshDatabase(JOBS);
  const workers = await startWorkers(workerCount, bench.url, { SYNC_CONCURRENCY: '8' });
  const started = process.hrtime.bigint();
  await bench.db.query(
    `INSERT INTO job (kind, dedupe_key, company_id, status, trigger, max_attempts)
     SELECT 'sync', id::text, company_id, 'PENDING', 'manual', 4 FROM directory_connection`,
  );
  for (;;) {
    const { rows } = await bench.db.query<{ done: number }>(
      `SELECT count(*)::int AS done FROM job WHERE status = 'SUCCEEDED'`,
    );
    if (rows[0].done >= JOBS) break;
    await sleep(20);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `queue: ${workerCount} workers, ${JOBS} jobs, ${seconds.toFixed(2)} s, ` +
      `${Math.round(JOBS / seconds)} jobs/s`,
  );
  await stopAll(workers);
  await bench.drop();
}

async function pickupLatency(count: number) {
  const bench = await freshDatabase(count);
  const workers = await startWorkers(1, bench.url, { SYNC_POLL_INTERVAL_MS: '60000' });
  const latencies: number[] = [];
  for (const connectionId of bench.connectionIds) {
    const { rows } = await bench.db.query<{ id: string }>(
      `INSERT INTO job (kind, dedupe_key, company_id, status, trigger, max_attempts)
       VALUES ('sync', $1, $2, 'PENDING', 'manual', 4) RETURNING id`,
      [connectionId, bench.companyId],
    );
    for (;;) {
      const result = await bench.db.query<{ ms: number | null; status: string }>(
        `SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms, status
           FROM job WHERE id = $1`,
        [rows[0].id],
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
    `pickup: ${count} jobs one by one, enqueue commit -> RUNNING: ` +
      `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`,
  );
  await stopAll(workers);
  await bench.drop();
}

async function httpTrigger() {
  const bench = await freshDatabase(100);
  const port = await freePort();
  const api = serviceProcess('main', {
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
