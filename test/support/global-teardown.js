import { rm } from 'node:fs/promises';
import pg from 'pg';

export default async function globalTeardown() {
  const state = globalThis.testPostgres;
  if (!state) return;
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_URL });
  await admin.connect();
  try {
    // Spec databases drop themselves; this catches those of a spec that crashed. Only this
    // run's (the template and its clones): other runs may share the server.
    const { rows } = await admin.query(
      `SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $1 || '_')`,
      [state.templateDb],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  await state.server?.stop();
  if (state.dataDir) await rm(state.dataDir, { recursive: true, force: true });
}
