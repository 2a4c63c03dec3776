import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Groups1764720000000 } from '../migrations/1764720000000-Groups.js';
import { generateToken } from '../src/auth/secret-token.js';
import { runMigrations } from '../src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { migrateDownThrough, migrateUpTo } from './support/migrations.js';
import { GROUP, scim, type ScimSetup } from './support/scim.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The move of SCIM groups into the one groups model, on a database that has SCIM groups:
 * migrated up to the migration before it, seeded the old way, migrated to the end, and back.
 */
let db: TestDatabase;
let t: TestApp | undefined;
const ids = {
  company: '0c4a7f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
  connection: '1c4a7f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
  ada: 'b0000000-0000-4000-8000-000000000001',
  alan: 'b0000000-0000-4000-8000-000000000002',
  sales: 'c0000000-0000-4000-8000-000000000001',
  empty: 'c0000000-0000-4000-8000-000000000002',
};
const scimToken = generateToken('scim');

/** The old tables' rows, as comparable text. */
const OLD_GROUPS = `SELECT to_jsonb(g)::text AS row FROM scim_group g ORDER BY id`;
const OLD_MEMBERS = `SELECT group_id, employee_id FROM scim_group_member ORDER BY 1, 2`;
let groupsBefore: unknown[];
let membersBefore: unknown[];

beforeAll(async () => {
  db = await createTestDatabase({ empty: true });
  await migrateUpTo(db.url, Groups1764720000000.name);
  await db.query(`INSERT INTO company (id, name) VALUES ($1, 'Acme')`, [ids.company]);
  await db.query(
    `INSERT INTO directory_connection (id, company_id, name, type, status, config_encrypted,
                                       max_attempts, deprovision_threshold_percent, scim_token_hash)
     VALUES ($1, $2, 'push', 'scim', 'ACTIVE', '\\x00', 4, 20, $3)`,
    [ids.connection, ids.company, scimToken.hash],
  );
  for (const [id, name] of [
    [ids.ada, 'ada'],
    [ids.alan, 'alan'],
  ]) {
    await db.query(
      `INSERT INTO employee (id, company_id, email, source_connection_id, external_id)
       VALUES ($1, $2, $3, $4, $3)`,
      [id, ids.company, `${name}@acme.example`, ids.connection],
    );
    await db.query(
      `INSERT INTO scim_user (employee_id, connection_id, user_name) VALUES ($1, $2, $3)`,
      [id, ids.connection, `${name}@acme.example`],
    );
  }
  await db.query(
    `INSERT INTO scim_group (id, connection_id, company_id, display_name, external_id, version,
                             created_at, updated_at)
     VALUES ($1, $3, $4, 'Sales', 'entra-sales', 3, '2025-11-01T08:00:00Z', '2025-11-02T08:00:00Z'),
            ($2, $3, $4, 'Empty', NULL, 1, '2025-11-03T08:00:00Z', '2025-11-03T08:00:00Z')`,
    [ids.sales, ids.empty, ids.connection, ids.company],
  );
  await db.query(
    `INSERT INTO scim_group_member (group_id, employee_id) VALUES ($1, $2), ($1, $3)`,
    [ids.sales, ids.ada, ids.alan],
  );
  groupsBefore = await db.query(OLD_GROUPS);
  membersBefore = await db.query(OLD_MEMBERS);
  await runMigrations(db.url);
});
afterAll(async () => {
  await t?.close();
  await db.drop();
});

describe('the migration of SCIM groups into directory_group', () => {
  it('keeps every group with its id, name, timestamps and members; the old tables are gone', async () => {
    expect(
      await db.query(
        `SELECT id, company_id, connection_id, external_id, name, description, created_at,
                updated_at
           FROM directory_group ORDER BY id`,
      ),
    ).toEqual([
      {
        id: ids.sales,
        company_id: ids.company,
        connection_id: ids.connection,
        external_id: ids.sales,
        name: 'Sales',
        description: null,
        created_at: new Date('2025-11-01T08:00:00Z'),
        updated_at: new Date('2025-11-02T08:00:00Z'),
      },
      expect.objectContaining({ id: ids.empty, external_id: ids.empty, name: 'Empty' }),
    ]);
    expect(
      await db.query(`SELECT group_id, employee_id FROM group_membership ORDER BY 1, 2`),
    ).toEqual(membersBefore);
    const [{ groups, members }] = await db.query(
      `SELECT to_regclass('scim_group')::text AS groups,
              to_regclass('scim_group_member')::text AS members`,
    );
    expect([groups, members]).toEqual([null, null]);
  });

  it('serves the moved groups over SCIM as before: externalId, members, version', async () => {
    t = await startTestApp({}, db);
    const s: ScimSetup = {
      company: { id: ids.company, adminKey: '', adminKeyId: '' },
      connectionId: ids.connection,
      token: scimToken.token,
      base: `/scim/v2/${ids.connection}`,
    };
    const res = await scim(t, s, 'get', `/Groups/${ids.sales}`).expect(200);
    expect(res.body).toMatchObject({
      schemas: [GROUP],
      id: ids.sales,
      displayName: 'Sales',
      externalId: 'entra-sales',
      members: [
        expect.objectContaining({ value: ids.ada, display: 'ada@acme.example' }),
        expect.objectContaining({ value: ids.alan, display: 'alan@acme.example' }),
      ],
      meta: {
        created: '2025-11-01T08:00:00.000Z',
        lastModified: '2025-11-02T08:00:00.000Z',
        version: 'W/"3"',
      },
    });
    // displayName stays unique per SCIM connection, ignoring case.
    await scim(t, s, 'post', '/Groups', { schemas: [GROUP], displayName: 'SALES' }).expect(409);
    await t.close();
    t = undefined;
  });

  it('reverts to the SCIM tables with the same rows', async () => {
    await migrateDownThrough(db.url, Groups1764720000000.name);
    expect(await db.query(OLD_GROUPS)).toEqual(groupsBefore);
    expect(await db.query(OLD_MEMBERS)).toEqual(membersBefore);
    const [{ groups }] = await db.query(`SELECT to_regclass('directory_group')::text AS groups`);
    expect(groups).toBeNull();
  });
});
