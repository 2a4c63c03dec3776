import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incremental cycles: each connection's change-feed cursor, and how often a full cycle still
 * runs. The cursor is written only by a run that finished (so a crash keeps the previous
 * one) and dropped when the connection's config changes (a cursor of another scope is no
 * cursor). `full_sync_at`: when the full cycle that began this chain of cursors started.
 */
export class IncrementalSync1764730000000 implements MigrationInterface {
  name = 'IncrementalSync1764730000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE directory_connection
        ADD COLUMN full_sync_interval_hours integer NOT NULL DEFAULT 24
          CHECK (full_sync_interval_hours BETWEEN 1 AND 8760)`);
    await db.query(`
      CREATE TABLE sync_cursor (
        connection_id  uuid PRIMARY KEY REFERENCES directory_connection (id) ON DELETE CASCADE,
        cursor         jsonb NOT NULL,
        full_sync_at   timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE sync_cursor`);
    await db.query(`ALTER TABLE directory_connection DROP COLUMN full_sync_interval_hours`);
  }
}
