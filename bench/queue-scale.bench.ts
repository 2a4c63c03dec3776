import 'reflect-metadata';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { JobQueue, SQL } from '../src/queue/job-queue.js';
import { JobRegistry } from '../src/queue/job-registry.js';
import { JobSignals } from '../src/queue/job-signals.js';
import { SYNC_KIND } from '../src/sync-jobs/sync-job.types.js';
import { benchServer } from './bench-server.js';

/**
 * npm run bench:queue-scale: the queue's statements on a large database — 100,000
 * connections in 1,000 companies, every one on an hourly schedule and a tenth of them due,
 * and 1,000,000 finished sync jobs (ten per connection). Measures one scheduler tick (the
 * real `schedules` statements), the next one (nothing due), and the claim (EXPLAIN ANALYZE,
 * rolled back).
 * `npm run bench:queue-scale -- CONNECTIONS JOBS_PER_CONNECTION` to change the size.
 * DATABASE_URL's server when set, else an embedded PostgreSQL in a temporary folder.
 */
const CONNECTIONS = Number(process.argv[2] ?? 100_000);
const JOBS_PER_CONNECTION = Number(process.argv[3] ?? 10);
const COMPANIES = Math.max(1, Math.round(CONNECTIONS / 100));
const CLAIM_LIMIT = 8;

const server = await benchServer();
const database = await server.createDatabase();
const db = new pg.Client({ connectionString: database.url });
let dataSource: DataSource | undefined;

try {
  await db.connect();
  const seeded = Date.now();
  await seed();
  console.log(
    `scale: ${CONNECTIONS} connections (${CONNECTIONS / 10} due) in ${COMPANIES} companies, ` +
      `${CONNECTIONS * JOBS_PER_CONNECTION} finished jobs (seeded in ` +
      `${((Date.now() - seeded) / 1000).toFixed(0)} s)`,
  );

  dataSource = await new DataSource({
    ...dataSourceOptions(database.url),
    extra: { max: 2 },
  }).initialize();
  const queue = new JobQueue(dataSource, new JobRegistry(), new JobSignals());
  let started = process.hrtime.bigint();
  const enqueued = await queue.enqueueSchedules(SYNC_KIND);
  console.log(`scale: scheduler tick enqueued ${enqueued} syncs in ${ms(started)} ms`);
  started = process.hrtime.bigint();
  const again = await queue.enqueueSchedules(SYNC_KIND);
  console.log(`scale: next scheduler tick (nothing due) enqueued ${again} in ${ms(started)} ms`);

  await db.query('ANALYZE job');
  const runs: number[] = [];
  let plan = '';
  for (let i = 0; i < 5; i++) {
    await db.query('BEGIN');
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${SQL.claim}`,
      [SYNC_KIND, 'bench-worker', CLAIM_LIMIT, 60_000],
    );
    await db.query('ROLLBACK');
    plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    runs.push(Number(/Execution Time: ([\d.]+) ms/.exec(plan)![1]));
  }
  runs.sort((a, b) => a - b);
  const scan = /Index (Only )?Scan using job_due/.test(plan)
    ? 'an index scan of job_due'
    : 'NOT an index scan of job_due';
  if (process.env.BENCH_VERBOSE) console.log(plan);
  console.log(
    `scale: claim of ${CLAIM_LIMIT} among ${enqueued} due jobs: ${scan}, ` +
      `${runs[2].toFixed(2)} ms (EXPLAIN ANALYZE, median of 5; min ${runs[0].toFixed(2)}, ` +
      `max ${runs[4].toFixed(2)})`,
  );
} finally {
  await dataSource?.destroy();
  await db.end().catch(() => undefined);
  await database.drop();
  await server.stop();
}

function ms(since: bigint): string {
  return (Number(process.hrtime.bigint() - since) / 1e6).toFixed(0);
}

/**
 * Companies, their hourly connections, and each connection's finished syncs: the last one
 * 70 minutes ago for every tenth connection (due), 10 minutes ago for the others.
 */
async function seed(): Promise<void> {
  await db.query(
    `INSERT INTO company (id, name)
     SELECT gen_random_uuid(), 'Company ' || n FROM generate_series(1, $1) AS n`,
    [COMPANIES],
  );
  await db.query(
    `INSERT INTO directory_connection (id, company_id, name, type, status, config_encrypted,
                                       sync_interval_minutes, max_attempts,
                                       deprovision_threshold_percent, last_sync_at)
     SELECT gen_random_uuid(), c.id, 'Okta ' || n, 'okta', 'ACTIVE', '\\x00', 60, 4, 20, now()
       FROM company c, generate_series(1, $1) AS n`,
    [CONNECTIONS / COMPANIES],
  );
  await db.query(
    `INSERT INTO job (kind, company_id, dedupe_key, payload, status, trigger, attempts,
                      max_attempts, result, run_after, started_at, finished_at, created_at,
                      updated_at)
     SELECT 'sync', c.company_id, c.id::text, '{}', 'SUCCEEDED', 'schedule', 1, 4,
            '{"fetched": 100, "created": 0, "updated": 0, "unchanged": 100,
              "deactivated": 0, "skipped": 0}',
            f.at, f.at, f.at, f.at, f.at
       FROM (SELECT id, company_id, row_number() OVER (ORDER BY id) % 10 = 0 AS due
               FROM directory_connection) c,
            LATERAL (SELECT now() - (CASE WHEN c.due THEN 70 ELSE 10 END) * interval '1 minute'
                              - (k * interval '1 hour') AS at
                       FROM generate_series(0, $1 - 1) AS k) f`,
    [JOBS_PER_CONNECTION],
  );
  // Each connection's schedule as the ticks leave it: an hour after its last finished sync.
  await db.query(
    `INSERT INTO job_schedule (kind, dedupe_key, company_id, max_attempts, every, next_run_at)
     SELECT 'sync', c.id::text, c.company_id, 4, interval '60 minutes',
            (SELECT max(finished_at) FROM job j WHERE j.kind = 'sync' AND j.dedupe_key = c.id::text)
              + interval '60 minutes'
       FROM directory_connection c`,
  );
  // What autovacuum would have done by then: statistics and the visibility map.
  await db.query('VACUUM ANALYZE');
}
