// Plain JS: jest loads global setup outside its module system, so this uses the build that
// `npm test` makes first (pretest) rather than the TypeScript sources.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { runMigrations } from '../../dist/src/database/migrate.js';

/**
 * One Postgres server for the run: DATABASE_URL's when set (its user must be allowed to
 * create databases), otherwise an embedded one in a temporary directory. A template database
 * is migrated once; every spec file clones it into a fresh database of its own.
 */
export default async function globalSetup() {
  let server;
  let dataDir;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'directory-sync-test-'));
    server = await startEmbeddedPostgres(dataDir, () => {});
    adminUrl = server.adminUrl;
  }
  const templateDb = `ds_test_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${templateDb}`);
    await admin.query(`CREATE DATABASE ${templateDb}`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${templateDb}`;
  await runMigrations(templateUrl.toString());

  process.env.TEST_ADMIN_URL = adminUrl;
  process.env.TEST_TEMPLATE_DB = templateDb;
  globalThis.testPostgres = { server, dataDir, templateDb };
}
