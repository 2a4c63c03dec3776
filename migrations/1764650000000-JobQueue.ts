import type { MigrationInterface, QueryRunner } from 'typeorm';
import { QueueNotifyRetention1764500000000 } from './1764500000000-QueueNotifyRetention.js';

/**
 * One queue for every kind of background work: `sync_job` becomes the `job` table, its rows
 * (with their history) become jobs of kind `sync` whose `dedupe_key` is the connection id,
 * and the NOTIFY trigger moves with them. A sync job's `allow_mass_deprovision` goes into
 * its payload and its `stats` into `result`. Connections with a sync interval get a
 * `job_schedule` row, which the scheduler's tick reads instead of every connection.
 */
export class JobQueue1764650000000 implements MigrationInterface {
  name = 'JobQueue1764650000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE job (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind              text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,62}$'),
        company_id        uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        -- Jobs with the same (kind, dedupe_key) coalesce: one waiting, one running at a time.
        -- NULL: the job stands alone (or, for a sync, its connection was deleted).
        dedupe_key        text,
        payload           jsonb NOT NULL DEFAULT '{}',
        status            text NOT NULL CHECK (status IN
                            ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
        trigger           text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'retry')),
        attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts      integer NOT NULL CHECK (max_attempts >= 1),
        -- Claim order is (fair_round, run_after): a company's n-th waiting job of a kind is in
        -- round n, so one company's backlog never stands in front of another's first job.
        fair_round        bigint NOT NULL DEFAULT 0,
        last_error        text,
        run_after         timestamptz NOT NULL DEFAULT now(),
        locked_by         text,
        locked_until      timestamptz,
        cancel_requested  boolean NOT NULL DEFAULT false,
        result            jsonb,
        started_at        timestamptz,
        finished_at       timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'RUNNING') = (locked_by IS NOT NULL AND locked_until IS NOT NULL))
      )`);

    await db.query(`
      INSERT INTO job (id, kind, company_id, dedupe_key, payload, status, trigger, attempts,
                       max_attempts, last_error, run_after, locked_by, locked_until,
                       cancel_requested, result, started_at, finished_at, created_at,
                       updated_at)
      SELECT id, 'sync', company_id, connection_id::text,
             jsonb_build_object('allowMassDeprovision', allow_mass_deprovision), status,
             trigger, attempts, max_attempts, last_error, run_after, locked_by, locked_until,
             cancel_requested, stats, started_at, finished_at, created_at, updated_at
        FROM sync_job`);
    await db.query(`DROP TABLE sync_job`);
    await db.query(`DROP FUNCTION sync_job_notify_pending()`);

    // Facts of the database, not of a find-then-create: one waiting and one running job per
    // (kind, dedupe_key), whatever the number of API instances and workers.
    await db.query(
      `CREATE UNIQUE INDEX job_one_pending ON job (kind, dedupe_key) WHERE status = 'PENDING'`,
    );
    await db.query(
      `CREATE UNIQUE INDEX job_one_running ON job (kind, dedupe_key) WHERE status = 'RUNNING'`,
    );
    // The claim: waiting jobs of a kind in claim order. Small: it only holds waiting jobs.
    await db.query(
      `CREATE INDEX job_due ON job (kind, fair_round, run_after) WHERE status = 'PENDING'`,
    );
    // An enqueue's round: the company's last waiting job of the kind.
    await db.query(
      `CREATE INDEX job_company_rounds ON job (kind, company_id, fair_round)
        WHERE status = 'PENDING'`,
    );
    // The jobs API (newest first, keyset).
    await db.query(
      `CREATE INDEX job_company_list ON job (company_id, kind, created_at DESC, id DESC)`,
    );
    // The scheduler's "last finished job" per connection, and retention's "a newer one exists".
    await db.query(
      `CREATE INDEX job_dedupe_finished ON job (kind, dedupe_key, finished_at DESC)
        WHERE finished_at IS NOT NULL AND dedupe_key IS NOT NULL`,
    );
    // Retention.
    await db.query(`CREATE INDEX job_finished ON job (finished_at) WHERE finished_at IS NOT NULL`);

    // Periodic jobs of a key (a connection's syncs): when the next tick should look at it.
    await db.query(`
      CREATE TABLE job_schedule (
        kind          text NOT NULL,
        dedupe_key    text NOT NULL,
        company_id    uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        payload       jsonb NOT NULL DEFAULT '{}',
        max_attempts  integer NOT NULL CHECK (max_attempts >= 1),
        every         interval NOT NULL CHECK (every > interval '0'),
        next_run_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, dedupe_key)
      )`);
    await db.query(`CREATE INDEX job_schedule_next ON job_schedule (kind, next_run_at)`);
    await db.query(`
      INSERT INTO job_schedule (kind, dedupe_key, company_id, max_attempts, every)
      SELECT 'sync', id::text, company_id, max_attempts, sync_interval_minutes * interval '1 minute'
        FROM directory_connection
       WHERE sync_interval_minutes IS NOT NULL AND type <> 'scim'`);

    // Instant pickup: a job that becomes PENDING notifies `job_pending` with its kind, in the
    // transaction that made it so (delivered at commit; the same kind's notifications in one
    // transaction collapse into one). Inserts notify once per statement and kind (an enqueue
    // of many jobs), and not at all when the enqueue coalesced.
    await db.query(`
      CREATE FUNCTION job_notify_pending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('job_pending', NEW.kind);
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE FUNCTION job_notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('job_pending', kind)
           FROM (SELECT DISTINCT kind FROM inserted WHERE status = 'PENDING') kinds;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER job_inserted_notify
        AFTER INSERT ON job REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION job_notify_inserted()`);
    await db.query(`
      CREATE TRIGGER job_pending_notify
        AFTER UPDATE OF status ON job
        FOR EACH ROW WHEN (NEW.status = 'PENDING')
        EXECUTE FUNCTION job_notify_pending()`);
  }

  /** Back to `sync_job` (jobs of other kinds are dropped). */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE job_schedule`);
    await db.query(`ALTER TABLE job RENAME TO sync_job`);
    await db.query(`ALTER INDEX job_pkey RENAME TO sync_job_pkey`);
    await db.query(`DROP TRIGGER job_pending_notify ON sync_job`);
    await db.query(`DROP TRIGGER job_inserted_notify ON sync_job`);
    await db.query(`DROP FUNCTION job_notify_pending()`);
    await db.query(`DROP FUNCTION job_notify_inserted()`);
    await db.query(`DELETE FROM sync_job WHERE kind <> 'sync'`);
    const indexes = ['one_pending', 'one_running', 'due', 'company_rounds', 'company_list'];
    for (const index of [...indexes, 'dedupe_finished', 'finished']) {
      await db.query(`DROP INDEX job_${index}`);
    }
    await db.query(`
      ALTER TABLE sync_job
        ADD COLUMN connection_id uuid REFERENCES directory_connection (id) ON DELETE SET NULL,
        ADD COLUMN allow_mass_deprovision boolean NOT NULL DEFAULT false`);
    await db.query(`
      UPDATE sync_job j
         SET connection_id = c.id,
             allow_mass_deprovision = coalesce((j.payload->>'allowMassDeprovision')::boolean, false)
        FROM (SELECT id FROM directory_connection) c
       WHERE c.id::text = j.dedupe_key`);
    await db.query(`
      ALTER TABLE sync_job
        DROP COLUMN kind, DROP COLUMN dedupe_key, DROP COLUMN payload, DROP COLUMN fair_round`);
    await db.query(`ALTER TABLE sync_job RENAME COLUMN result TO stats`);
    await db.query(
      `CREATE UNIQUE INDEX sync_job_one_pending ON sync_job (connection_id) WHERE status = 'PENDING'`,
    );
    await db.query(
      `CREATE UNIQUE INDEX sync_job_one_running ON sync_job (connection_id) WHERE status = 'RUNNING'`,
    );
    await db.query(
      `CREATE INDEX sync_job_due ON sync_job (run_after, created_at) WHERE status = 'PENDING'`,
    );
    await db.query(
      `CREATE INDEX sync_job_lease ON sync_job (locked_until) WHERE status = 'RUNNING'`,
    );
    await db.query(
      `CREATE INDEX sync_job_company_list ON sync_job (company_id, created_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX sync_job_connection_finished ON sync_job (connection_id, finished_at DESC)`,
    );
    // The previous migration's NOTIFY trigger and retention index, as it made them.
    await new QueueNotifyRetention1764500000000().up(db);
  }
}
