import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Less work per employee row a sync inserts (docs/benchmarks.md, "The write path at the
 * floor"):
 *
 * - One foreign key instead of two. `(company_id, source_connection_id)` references the
 *   connection within its company: one check per inserted row where there were two, and a
 *   stronger rule (an employee's connection belongs to the employee's company). Deleting a
 *   connection still only clears `source_connection_id`. The company itself is no longer
 *   referenced: companies are never deleted (as the event log already assumes), and every
 *   employee is written with a connection of its company.
 * - `employee_connection_idx (source_connection_id, email)` goes: everything that reads one
 *   connection's employees is served by `employee_connection_external_idx`
 *   (`source_connection_id, external_id`), and no query orders by the raw `email`.
 */
export class SyncWritePath1764760000000 implements MigrationInterface {
  name = 'SyncWritePath1764760000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE directory_connection
         ADD CONSTRAINT directory_connection_company_id_key UNIQUE (company_id, id)`,
    );
    await db.query(`
      ALTER TABLE employee
        DROP CONSTRAINT employee_company_id_fkey,
        DROP CONSTRAINT employee_source_connection_id_fkey,
        ADD CONSTRAINT employee_connection_fkey FOREIGN KEY (company_id, source_connection_id)
          REFERENCES directory_connection (company_id, id) ON DELETE SET NULL (source_connection_id)`);
    await db.query(`DROP INDEX employee_connection_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX employee_connection_idx ON employee (source_connection_id, email)`,
    );
    await db.query(`
      ALTER TABLE employee
        DROP CONSTRAINT employee_connection_fkey,
        ADD CONSTRAINT employee_company_id_fkey FOREIGN KEY (company_id)
          REFERENCES company (id) ON DELETE CASCADE,
        ADD CONSTRAINT employee_source_connection_id_fkey FOREIGN KEY (source_connection_id)
          REFERENCES directory_connection (id) ON DELETE SET NULL`);
    await db.query(
      `ALTER TABLE directory_connection DROP CONSTRAINT directory_connection_company_id_key`,
    );
  }
}
