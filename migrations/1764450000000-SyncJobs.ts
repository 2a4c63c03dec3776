import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The job queue: one row per sync run, claimed with FOR UPDATE SKIP LOCKED. */
export class SyncJobs1764450000000 implements MigrationInterface {
  name = 'SyncJobs1764450000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE sync_job (
        id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- SET NULL: a deleted connection's jobs stay readable (they are CANCELLED first).
        connection_id           uuid REFERENCES directory_connection (id) ON DELETE SET NULL,
        company_id              uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        status                  text NOT NULL CHECK (status IN
                                  ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
        trigger                 text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'retry')),
        attempts                integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts            integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
        last_error              text,
        run_after               timestamptz NOT NULL DEFAULT now(),
        locked_by               text,
        locked_until            timestamptz,
        cancel_requested        boolean NOT NULL DEFAULT false,
        allow_mass_deprovision  boolean NOT NULL DEFAULT false,
        stats                   jsonb,
        started_at              timestamptz,
        finished_at             timestamptz,
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'RUNNING') = (locked_by IS NOT NULL AND locked_until IS NOT NULL))
      )`);
    // Facts of the database, not of a find-then-create: at most one waiting and one running
    // job per connection, whatever the number of API instances and workers.
    await db.query(
      `CREATE UNIQUE INDEX sync_job_one_pending ON sync_job (connection_id) WHERE status = 'PENDING'`,
    );
    await db.query(
      `CREATE UNIQUE INDEX sync_job_one_running ON sync_job (connection_id) WHERE status = 'RUNNING'`,
    );
    // The claim: due PENDING jobs, oldest first. Small: it only holds waiting jobs.
    await db.query(
      `CREATE INDEX sync_job_due ON sync_job (run_after, created_at) WHERE status = 'PENDING'`,
    );
    // The reaper: RUNNING jobs whose lease ran out.
    await db.query(
      `CREATE INDEX sync_job_lease ON sync_job (locked_until) WHERE status = 'RUNNING'`,
    );
    // Listing (newest first, keyset) and the scheduler's "last finished job" per connection.
    await db.query(
      `CREATE INDEX sync_job_company_list ON sync_job (company_id, created_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX sync_job_connection_finished ON sync_job (connection_id, finished_at DESC)`,
    );

    // Manual triggers per company per minute (fixed windows), shared by every API instance.
    await db.query(`
      CREATE TABLE sync_trigger_window (
        company_id    uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        window_start  timestamptz NOT NULL,
        count         integer NOT NULL,
        PRIMARY KEY (company_id, window_start)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE sync_trigger_window`);
    await db.query(`DROP TABLE sync_job`);
  }
}
