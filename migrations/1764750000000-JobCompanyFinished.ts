import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /api/queue/stats counts one company's jobs finished in the last hour. Through
 * `job_finished` (finished_at only) that read every company's jobs of the hour and kept the
 * caller's: its cost grew with the whole service's throughput, so one busy tenant made every
 * other tenant's dashboard slower. Leading with the company reads only the caller's own
 * (docs/benchmarks.md, "Queue stats"). `job_finished` stays: retention reads across companies.
 */
export class JobCompanyFinished1764750000000 implements MigrationInterface {
  name = 'JobCompanyFinished1764750000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX job_company_finished ON job (company_id, finished_at)
        WHERE finished_at IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX job_company_finished`);
  }
}
