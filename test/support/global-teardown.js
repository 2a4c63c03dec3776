import { rm } from 'node:fs/promises';
import pg from 'pg';

export default async function globalTeardown() {
  const state = globalThis.testPostgres;
  if (!state) return;
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_URL });
  await admin.connect();
  try {
    // Spec databases drop themselves; this catches those of a spec that crashed (this run's
    // only: other runs may be using the same server).
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `ds_test_${process.env.TEST_RUN_ID}_%`,
    ]);
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  await state.server?.stop();
  if (state.dataDir) await rm(state.dataDir, { recursive: true, force: true });
}
