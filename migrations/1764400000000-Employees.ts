import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The employee roster every sync writes into. */
export class Employees1764400000000 implements MigrationInterface {
  name = 'Employees1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE employee (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id            uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        email                 text NOT NULL CHECK (email = lower(btrim(email)) AND email <> ''),
        first_name            text,
        last_name             text,
        department            text,
        title                 text,
        mfa_enabled           boolean,
        active                boolean NOT NULL DEFAULT true,
        source_connection_id  uuid REFERENCES directory_connection (id) ON DELETE SET NULL,
        external_id           text,
        deactivated_at        timestamptz,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT employee_company_email_key UNIQUE (company_id, email)
      )`);
    // Deprovisioning and the connectionId filter look at one connection's employees.
    await db.query(
      `CREATE INDEX employee_connection_idx ON employee (source_connection_id, email)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE employee`);
  }
}
