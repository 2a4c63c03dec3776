import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks (docs/webhooks.md): the endpoints a company registers, one delivery row per
 * (endpoint, event), and the queue's per-key bound that keeps one slow endpoint from taking
 * every worker (`job.concurrency_key`).
 */
export class Webhooks1764710000000 implements MigrationInterface {
  name = 'Webhooks1764710000000';

  async up(db: QueryRunner): Promise<void> {
    // At most the kind's bound of one key's jobs run at once; a keyed job's fairness rounds
    // count per key instead of per company.
    await db.query(`ALTER TABLE job ADD COLUMN concurrency_key text`);
    await db.query(
      `CREATE INDEX job_key_running ON job (kind, concurrency_key)
        WHERE status = 'RUNNING' AND concurrency_key IS NOT NULL`,
    );
    await db.query(
      `CREATE INDEX job_key_rounds ON job (kind, concurrency_key, fair_round)
        WHERE status = 'PENDING' AND concurrency_key IS NOT NULL`,
    );
    // Every job's row is rewritten three times (PENDING, RUNNING, finished), none of them a
    // HOT update: a busy queue leaves dead index entries that every claim steps over until
    // vacuum removes them. Vacuum the table whenever 5,000 rows are dead (the default waits
    // for 20 % of the table), so that cost stays flat under a backlog of deliveries.
    await db.query(
      `ALTER TABLE job SET (autovacuum_vacuum_scale_factor = 0,
                            autovacuum_vacuum_threshold = 5000)`,
    );

    await db.query(`
      CREATE TABLE webhook_endpoint (
        id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id                  uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        url                         text NOT NULL,
        -- NULL: every type, including types added later.
        event_types                 text[],
        enabled                     boolean NOT NULL DEFAULT true,
        description                 text,
        -- AES-256-GCM like connection configs, the row id as associated data.
        secret_encrypted            bytea NOT NULL,
        previous_secret_encrypted   bytea,
        previous_secret_expires_at  timestamptz,
        disabled_reason             text,
        -- Since when every attempt failed (NULL after a success): 5 days of it disables.
        failing_since               timestamptz,
        -- The fan-out's position in the company's events, in the event log's (tx, seq) order:
        -- the events after it are still to be turned into deliveries.
        after_tx                    xid8 NOT NULL,
        after_seq                   bigint NOT NULL DEFAULT 0,
        created_at                  timestamptz NOT NULL DEFAULT now(),
        updated_at                  timestamptz NOT NULL DEFAULT now(),
        CHECK ((previous_secret_encrypted IS NULL) = (previous_secret_expires_at IS NULL))
      )`);
    await db.query(
      `CREATE INDEX webhook_endpoint_company ON webhook_endpoint (company_id, created_at, id)`,
    );

    // No foreign key to the event: events are pruned by age, and so is their delivery record.
    await db.query(`
      CREATE TABLE webhook_delivery (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id      uuid NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
        event_id         uuid NOT NULL,
        event_type       text NOT NULL,
        status           text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
        attempts         integer NOT NULL DEFAULT 0,
        response_status  integer,
        duration_ms      integer,
        error            text,
        next_attempt_at  timestamptz,
        delivered_at     timestamptz,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        -- One delivery per event and endpoint, whatever the number of fan-out processes.
        UNIQUE (endpoint_id, event_id)
      )`);
    await db.query(
      `CREATE INDEX webhook_delivery_list ON webhook_delivery (endpoint_id, created_at DESC, id DESC)`,
    );

    // Events appended for a company with an enabled endpoint wake the workers' fan-out
    // (JobHandler.feed of the `webhook` kind): once per statement, delivered at commit, and
    // not at all for companies without webhooks.
    await db.query(
      `CREATE INDEX webhook_endpoint_enabled ON webhook_endpoint (company_id) WHERE enabled`,
    );
    await db.query(`
      CREATE FUNCTION event_notify_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM webhook_endpoint e
                    WHERE e.enabled AND e.company_id IN (SELECT company_id FROM appended)) THEN
          PERFORM pg_notify('job_feed', 'webhook');
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER event_appended_notify
        AFTER INSERT ON event REFERENCING NEW TABLE AS appended
        FOR EACH STATEMENT EXECUTE FUNCTION event_notify_webhooks()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER event_appended_notify ON event`);
    await db.query(`DROP FUNCTION event_notify_webhooks()`);
    await db.query(`DROP TABLE webhook_delivery`);
    await db.query(`DROP TABLE webhook_endpoint`);
    await db.query(
      `ALTER TABLE job RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)`,
    );
    await db.query(`DROP INDEX job_key_rounds`);
    await db.query(`DROP INDEX job_key_running`);
    await db.query(`ALTER TABLE job DROP COLUMN concurrency_key`);
  }
}
