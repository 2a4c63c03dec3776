import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCIM 2.0 push connections: the SCIM side of a pushed user (its userName, manager, version
 * and whether the IdP deleted it) beside its employee row, the IdP's groups with their
 * members, and the per-connection request windows of the rate limit.
 */
export class Scim1764550000000 implements MigrationInterface {
  name = 'Scim1764550000000';

  async up(db: QueryRunner): Promise<void> {
    // The SCIM id of a user is its employee id: one row here per employee a connection pushed.
    await db.query(`
      CREATE TABLE scim_user (
        employee_id    uuid PRIMARY KEY REFERENCES employee (id) ON DELETE CASCADE,
        connection_id  uuid NOT NULL REFERENCES directory_connection (id) ON DELETE CASCADE,
        user_name      text NOT NULL CHECK (btrim(user_name) <> ''),
        display_name   text,
        manager_id     text,
        version        integer NOT NULL DEFAULT 1,
        -- DELETE keeps the employee (deactivated) for history; GET answers 404 from then on.
        deleted_at     timestamptz,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    // userName is unique per connection, case-insensitively (a deleted one is revived by a
    // new POST with the same userName).
    await db.query(
      `CREATE UNIQUE INDEX scim_user_name_key ON scim_user (connection_id, lower(user_name))`,
    );
    await db.query(`CREATE INDEX scim_user_list_idx ON scim_user (connection_id, created_at)`);

    await db.query(`
      CREATE TABLE scim_group (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        connection_id  uuid NOT NULL REFERENCES directory_connection (id) ON DELETE CASCADE,
        company_id     uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        display_name   text NOT NULL CHECK (btrim(display_name) <> ''),
        external_id    text,
        version        integer NOT NULL DEFAULT 1,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX scim_group_name_key ON scim_group (connection_id, lower(display_name))`,
    );
    await db.query(`CREATE INDEX scim_group_list_idx ON scim_group (connection_id, created_at)`);

    await db.query(`
      CREATE TABLE scim_group_member (
        group_id     uuid NOT NULL REFERENCES scim_group (id) ON DELETE CASCADE,
        employee_id  uuid NOT NULL REFERENCES employee (id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, employee_id)
      )`);
    await db.query(
      `CREATE INDEX scim_group_member_employee_idx ON scim_group_member (employee_id)`,
    );

    // Fixed one-minute windows per connection (SCIM_RATE_LIMIT), shared by every instance.
    await db.query(`
      CREATE TABLE scim_request_window (
        connection_id  uuid NOT NULL REFERENCES directory_connection (id) ON DELETE CASCADE,
        window_start   timestamptz NOT NULL,
        count          integer NOT NULL,
        PRIMARY KEY (connection_id, window_start)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE scim_request_window`);
    await db.query(`DROP TABLE scim_group_member`);
    await db.query(`DROP TABLE scim_group`);
    await db.query(`DROP TABLE scim_user`);
  }
}
