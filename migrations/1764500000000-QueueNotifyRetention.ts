import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Instant pickup: a job that becomes PENDING notifies the `sync_job_pending` channel, in the
 * transaction that made it so (delivered at commit; several in one transaction collapse into
 * one). And an index for the retention sweep.
 */
export class QueueNotifyRetention1764500000000 implements MigrationInterface {
  name = 'QueueNotifyRetention1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION sync_job_notify_pending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('sync_job_pending', '');
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER sync_job_pending_notify
        AFTER INSERT OR UPDATE OF status ON sync_job
        FOR EACH ROW WHEN (NEW.status = 'PENDING')
        EXECUTE FUNCTION sync_job_notify_pending()`);
    await db.query(
      `CREATE INDEX sync_job_finished ON sync_job (finished_at) WHERE finished_at IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX sync_job_finished`);
    await db.query(`DROP TRIGGER sync_job_pending_notify ON sync_job`);
    await db.query(`DROP FUNCTION sync_job_notify_pending()`);
  }
}
