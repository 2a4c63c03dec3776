import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox: one row per change, written in the transaction of the change (docs/events.md).
 *
 * `tx` is the writing transaction's id. Readers only see events whose transaction is older
 * than every transaction still open (`tx < pg_snapshot_xmin(pg_current_snapshot())`) and
 * read them in (tx, seq) order, so an event can never appear behind a reader's cursor: `seq`
 * alone is handed out before commit, and commits land out of order.
 *
 * No foreign keys: the log outlives what it describes (a deleted connection's events keep
 * its id), companies are never deleted, and a trigger per row would tax every large sync.
 */
export class Events1764700000000 implements MigrationInterface {
  name = 'Events1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE event (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- Monotonic across the whole table (so per company too); gaps are normal.
        seq            bigint GENERATED ALWAYS AS IDENTITY,
        tx             xid8 NOT NULL DEFAULT pg_current_xact_id(),
        company_id     uuid NOT NULL,
        connection_id  uuid,
        type           text NOT NULL CHECK (type ~ '^[a-z_]+\\.[a-z_]+$'),
        data           jsonb NOT NULL,
        occurred_at    timestamptz NOT NULL DEFAULT now()
      )`);
    // Every reader (GET /api/events, webhook fan-out) reads one company's visible events after
    // a position. The only order index: each index is paid on every row of a 100,000-person
    // sync (docs/benchmarks.md).
    await db.query(`CREATE INDEX event_company_order ON event (company_id, tx, seq)`);
    // Retention by age: events arrive in roughly time order, which is what BRIN is for.
    await db.query(`CREATE INDEX event_occurred_at ON event USING brin (occurred_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE event`);
  }
}
