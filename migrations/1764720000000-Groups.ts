import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One groups model for every source: `directory_group` and `group_membership`, written by
 * pull syncs and by SCIM pushes alike. The SCIM groups move in, keeping their ids, names,
 * members and timestamps:
 * - a SCIM group is its own source, so its `external_id` is its own id (the id the IdP
 *   addresses it by); that is also what marks it as a SCIM group for the displayName
 *   uniqueness SCIM asks for, which pull directories do not have (Entra, Google and LDAP
 *   allow two groups of one name);
 * - what only SCIM knows (the IdP's `externalId` attribute, the version behind the ETag)
 *   stays beside it in `scim_group_attributes`, as `scim_user` does for people.
 */
export class Groups1764720000000 implements MigrationInterface {
  name = 'Groups1764720000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE directory_group (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id     uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        connection_id  uuid NOT NULL REFERENCES directory_connection (id) ON DELETE CASCADE,
        external_id    text NOT NULL CHECK (external_id <> ''),
        name           text NOT NULL CHECK (btrim(name) <> ''),
        description    text,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        -- A sync's upsert infers it: ON CONFLICT (connection_id, external_id).
        CONSTRAINT directory_group_external_key UNIQUE (connection_id, external_id)
      )`);
    // /api/groups pages in name order within a company.
    await db.query(
      `CREATE INDEX directory_group_company_name_idx ON directory_group (company_id, lower(name), id)`,
    );
    // SCIM lists a connection's groups in creation order.
    await db.query(
      `CREATE INDEX directory_group_connection_created_idx ON directory_group (connection_id, created_at, id)`,
    );
    await db.query(
      `CREATE UNIQUE INDEX directory_group_scim_name_key ON directory_group (connection_id, lower(name))
        WHERE external_id = id::text`,
    );
    await db.query(`
      CREATE TABLE group_membership (
        group_id     uuid NOT NULL REFERENCES directory_group (id) ON DELETE CASCADE,
        employee_id  uuid NOT NULL REFERENCES employee (id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, employee_id)
      )`);
    await db.query(`CREATE INDEX group_membership_employee_idx ON group_membership (employee_id)`);
    await db.query(`
      CREATE TABLE scim_group_attributes (
        group_id     uuid PRIMARY KEY REFERENCES directory_group (id) ON DELETE CASCADE,
        external_id  text,
        version      integer NOT NULL DEFAULT 1
      )`);
    // A sync resolves a group's members (the directory's user ids) to its connection's people.
    await db.query(
      `CREATE INDEX employee_connection_external_idx ON employee (source_connection_id, external_id)`,
    );

    await db.query(`
      INSERT INTO directory_group (id, company_id, connection_id, external_id, name, created_at,
                                   updated_at)
      SELECT id, company_id, connection_id, id::text, display_name, created_at, updated_at
        FROM scim_group`);
    await db.query(`
      INSERT INTO scim_group_attributes (group_id, external_id, version)
      SELECT id, external_id, version FROM scim_group`);
    await db.query(`
      INSERT INTO group_membership (group_id, employee_id)
      SELECT group_id, employee_id FROM scim_group_member`);
    await db.query(`DROP TABLE scim_group_member`);
    await db.query(`DROP TABLE scim_group`);
  }

  /** Back to SCIM-only groups: the groups pull syncs wrote are dropped (a sync writes them again). */
  async down(db: QueryRunner): Promise<void> {
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
    await db.query(`
      INSERT INTO scim_group (id, connection_id, company_id, display_name, external_id, version,
                              created_at, updated_at)
      SELECT g.id, g.connection_id, g.company_id, g.name, s.external_id, s.version, g.created_at,
             g.updated_at
        FROM directory_group g JOIN scim_group_attributes s ON s.group_id = g.id`);
    await db.query(`
      INSERT INTO scim_group_member (group_id, employee_id)
      SELECT m.group_id, m.employee_id
        FROM group_membership m JOIN scim_group g ON g.id = m.group_id`);
    await db.query(`DROP INDEX employee_connection_external_idx`);
    await db.query(`DROP TABLE scim_group_attributes`);
    await db.query(`DROP TABLE group_membership`);
    await db.query(`DROP TABLE directory_group`);
  }
}
