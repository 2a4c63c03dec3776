import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Companies, their API keys, and their directory connections. */
export class Foundation1764360000000 implements MigrationInterface {
  name = 'Foundation1764360000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE company (
        id          uuid PRIMARY KEY,
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);

    await db.query(`
      CREATE TABLE api_key (
        id            uuid PRIMARY KEY,
        company_id    uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        name          text NOT NULL,
        role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
        key_hash      text NOT NULL UNIQUE,
        prefix        text NOT NULL,
        last_used_at  timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now(),
        revoked_at    timestamptz
      )`);
    await db.query(`CREATE INDEX api_key_company_idx ON api_key (company_id, created_at)`);

    await db.query(`
      CREATE TABLE directory_connection (
        id                             uuid PRIMARY KEY,
        company_id                     uuid NOT NULL REFERENCES company (id) ON DELETE CASCADE,
        name                           text NOT NULL,
        type                           text NOT NULL CHECK (type IN ('okta', 'entra-id',
                                         'google-workspace', 'ldap', 'aws-identity-center', 'scim')),
        status                         text NOT NULL DEFAULT 'PENDING'
                                         CHECK (status IN ('PENDING', 'ACTIVE', 'ERROR')),
        config_encrypted               bytea NOT NULL,
        scim_token_hash                text UNIQUE,
        sync_interval_minutes          integer CHECK (sync_interval_minutes >= 5),
        max_attempts                   integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
        deprovision_threshold_percent  integer NOT NULL DEFAULT 20
                                         CHECK (deprovision_threshold_percent BETWEEN 0 AND 100),
        last_sync_at                   timestamptz,
        last_sync_count                integer,
        last_error                     text,
        created_at                     timestamptz NOT NULL DEFAULT now(),
        updated_at                     timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX directory_connection_company_idx ON directory_connection (company_id, created_at)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE directory_connection`);
    await db.query(`DROP TABLE api_key`);
    await db.query(`DROP TABLE company`);
  }
}
