import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The roster keeps people without an email, and an email as its source spelled it
 * (`Ada@Acme.com` stays so); uniqueness per company is case-insensitive and only where an
 * email is present. Existing rows keep their stored (lower-cased) email until their source
 * sends it again. The SCIM side keeps a client's `name.formatted`.
 */
export class OptionalEmail1764620000000 implements MigrationInterface {
  name = 'OptionalEmail1764620000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE employee DROP CONSTRAINT employee_company_email_key`);
    await db.query(`ALTER TABLE employee DROP CONSTRAINT employee_email_check`);
    await db.query(`ALTER TABLE employee ALTER COLUMN email DROP NOT NULL`);
    await db.query(
      `ALTER TABLE employee ADD CONSTRAINT employee_email_check
         CHECK (email IS NULL OR (email = btrim(email) AND email <> ''))`,
    );
    // Same name as the constraint it replaces: errors keep naming it. The pull sync's upsert
    // infers it with ON CONFLICT (company_id, lower(email)) WHERE email IS NOT NULL.
    await db.query(
      `CREATE UNIQUE INDEX employee_company_email_key ON employee (company_id, lower(email))
        WHERE email IS NOT NULL`,
    );
    await db.query(`ALTER TABLE scim_user ADD COLUMN formatted_name text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE scim_user DROP COLUMN formatted_name`);
    await db.query(`DROP INDEX employee_company_email_key`);
    await db.query(`ALTER TABLE employee DROP CONSTRAINT employee_email_check`);
    // Emails go back to lower case. A row without an email, or two emails that differ only
    // in case, make the down migration fail rather than lose data.
    await db.query(`UPDATE employee SET email = lower(email) WHERE email <> lower(email)`);
    await db.query(`ALTER TABLE employee ALTER COLUMN email SET NOT NULL`);
    await db.query(
      `ALTER TABLE employee ADD CONSTRAINT employee_email_check
         CHECK (email = lower(btrim(email)) AND email <> '')`,
    );
    await db.query(
      `ALTER TABLE employee ADD CONSTRAINT employee_company_email_key UNIQUE (company_id, email)`,
    );
  }
}
