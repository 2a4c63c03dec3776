import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobQueue1764650000000 } from '../migrations/1764650000000-JobQueue.js';
import { generateToken } from '../src/auth/secret-token.js';
import { runMigrations } from '../src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { migrateUpTo } from './support/migrations.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/**
 * The migration to one job table, on a database that has `sync_job` rows: the database is
 * migrated up to the migration before it, seeded the old way, then migrated to the end.
 */
let db: TestDatabase;
let t: TestApp | undefined;
const ids = {
  company: '0b4a7f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
  okta: '1b4a7f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
  entra: '2b4a7f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
  pending: 'a0000000-0000-4000-8000-000000000001',
  running: 'a0000000-0000-4000-8000-000000000002',
  succeeded: 'a0000000-0000-4000-8000-000000000003',
  failed: 'a0000000-0000-4000-8000-000000000004',
  orphan: 'a0000000-0000-4000-8000-000000000005',
};
const stats = { fetched: 3, created: 2, updated: 1, unchanged: 0, deactivated: 0, skipped: 0 };
const key = generateToken('dsk');

beforeAll(async () => {
  db = await createTestDatabase({ empty: true });
  await migrateUpTo(db.url, JobQueue1764650000000.name);
  await db.query(`INSERT INTO company (id, name) VALUES ($1, 'Acme')`, [ids.company]);
  await db.query(
    `INSERT INTO api_key (id, company_id, name, role, key_hash, prefix)
     VALUES (gen_random_uuid(), $1, 'admin', 'admin', $2, $3)`,
    [ids.company, key.hash, key.prefix],
  );
  await db.query(
    `INSERT INTO directory_connection (id, company_id, name, type, status, config_encrypted,
                                       max_attempts, deprovision_threshold_percent,
                                       sync_interval_minutes)
     VALUES ($1, $3, 'okta', 'okta', 'ACTIVE', '\\x00', 4, 20, 60),
            ($2, $3, 'entra', 'entra-id', 'ERROR', '\\x00', 2, 20, NULL)`,
    [ids.okta, ids.entra, ids.company],
  );
  const old = (row: string) =>
    db.query(
      `INSERT INTO sync_job (id, connection_id, company_id, status, trigger, attempts,
                             max_attempts, last_error, run_after, locked_by, locked_until,
                             cancel_requested, allow_mass_deprovision, stats, started_at,
                             finished_at, created_at, updated_at)
       VALUES ${row}`,
      [ids.company],
    );
  await old(`('${ids.pending}', '${ids.okta}', $1, 'PENDING', 'manual', 0, 4, NULL,
              '2030-01-01T00:00:00Z', NULL, NULL, false, true, NULL, NULL, NULL,
              '2025-11-03T10:00:00Z', '2025-11-03T10:00:01Z')`);
  await old(`('${ids.running}', '${ids.entra}', $1, 'RUNNING', 'schedule', 1, 2, NULL,
              '2025-11-03T09:00:00Z', 'host:1:abc', '2025-11-03T09:01:00Z', true, false, NULL,
              '2025-11-03T09:00:00Z', NULL, '2025-11-03T09:00:00Z', '2025-11-03T09:00:00Z')`);
  await old(`('${ids.succeeded}', '${ids.okta}', $1, 'SUCCEEDED', 'manual', 1, 4, NULL,
              '2025-11-02T08:00:00Z', NULL, NULL, false, false, '${JSON.stringify(stats)}',
              '2025-11-02T08:00:00Z', '2025-11-02T08:00:05Z', '2025-11-02T08:00:00Z',
              '2025-11-02T08:00:05Z')`);
  await old(`('${ids.failed}', '${ids.entra}', $1, 'FAILED', 'retry', 2, 2, 'Entra said no',
              '2025-11-01T08:00:00Z', NULL, NULL, false, false, NULL, '2025-11-01T08:00:00Z',
              '2025-11-01T08:00:02Z', '2025-11-01T07:59:00Z', '2025-11-01T08:00:02Z')`);
  await old(`('${ids.orphan}', NULL, $1, 'CANCELLED', 'manual', 0, 4, 'the connection was deleted',
              '2025-10-01T08:00:00Z', NULL, NULL, true, false, NULL, NULL,
              '2025-10-01T08:00:00Z', '2025-10-01T07:00:00Z', '2025-10-01T08:00:00Z')`);
  await runMigrations(db.url);
});
afterAll(async () => {
  await t?.close();
  await db.drop();
});

describe('the migration from sync_job to job', () => {
  it('moves every row with its history, as jobs of kind sync keyed by their connection', async () => {
    const rows = await db.query(
      `SELECT id, kind, company_id, dedupe_key, payload, status, trigger, attempts, max_attempts,
              last_error, run_after, locked_by, locked_until, cancel_requested, result,
              started_at, finished_at, created_at, updated_at
         FROM job ORDER BY created_at DESC`,
    );
    expect(rows).toEqual([
      {
        id: ids.pending,
        kind: 'sync',
        company_id: ids.company,
        dedupe_key: ids.okta,
        payload: { allowMassDeprovision: true },
        status: 'PENDING',
        trigger: 'manual',
        attempts: 0,
        max_attempts: 4,
        last_error: null,
        run_after: new Date('2030-01-01T00:00:00Z'),
        locked_by: null,
        locked_until: null,
        cancel_requested: false,
        result: null,
        started_at: null,
        finished_at: null,
        created_at: new Date('2025-11-03T10:00:00Z'),
        updated_at: new Date('2025-11-03T10:00:01Z'),
      },
      expect.objectContaining({
        id: ids.running,
        dedupe_key: ids.entra,
        status: 'RUNNING',
        trigger: 'schedule',
        locked_by: 'host:1:abc',
        locked_until: new Date('2025-11-03T09:01:00Z'),
        cancel_requested: true,
        payload: { allowMassDeprovision: false },
      }),
      expect.objectContaining({
        id: ids.succeeded,
        status: 'SUCCEEDED',
        result: stats,
        finished_at: new Date('2025-11-02T08:00:05Z'),
      }),
      expect.objectContaining({
        id: ids.failed,
        status: 'FAILED',
        trigger: 'retry',
        attempts: 2,
        last_error: 'Entra said no',
      }),
      expect.objectContaining({ id: ids.orphan, dedupe_key: null, status: 'CANCELLED' }),
    ]);
    const [{ table }] = await db.query(`SELECT to_regclass('sync_job')::text AS table`);
    expect(table).toBeNull();
  });

  it('gives each connection with a sync interval its schedule', async () => {
    expect(
      await db.query(
        `SELECT kind, dedupe_key, company_id, max_attempts, every::text FROM job_schedule`,
      ),
    ).toEqual([
      {
        kind: 'sync',
        dedupe_key: ids.okta,
        company_id: ids.company,
        max_attempts: 4,
        every: '01:00:00',
      },
    ]);
  });

  it('serves the moved jobs through /api/sync-jobs as before, and keeps coalescing them', async () => {
    t = await startTestApp({ SYNC_TRIGGER_RATE_LIMIT: '0' }, db);
    const res = await t.http().get(`/api/sync-jobs/${ids.succeeded}`).set(bearer(key.token));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: ids.succeeded,
      connectionId: ids.okta,
      status: 'SUCCEEDED',
      stats,
      allowMassDeprovision: false,
    });
    const list = await t.http().get(`/api/sync-jobs?limit=10`).set(bearer(key.token)).expect(200);
    expect((list.body as { items: { id: string }[] }).items.map((job) => job.id)).toEqual([
      ids.pending,
      ids.running,
      ids.succeeded,
      ids.failed,
      ids.orphan,
    ]);
    // The moved PENDING job is the one waiting for its connection: a trigger coalesces into it.
    const trigger = await t
      .http()
      .post(`/api/directory/${ids.okta}/sync`)
      .set(bearer(key.token))
      .send({})
      .expect(202);
    expect(trigger.body).toEqual({ jobId: ids.pending, status: 'PENDING', deduplicated: true });
  });
});
