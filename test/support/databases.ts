import { randomBytes } from 'node:crypto';
import pg from 'pg';

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase {
  url: string;
  /** A pg client on this database, for asserting on raw rows. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one spec file: a clone of the template (fast, isolated).
 * `empty`: a database without any table, for tests of the migrations themselves.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_ADMIN_URL;
  const template = process.env.TEST_TEMPLATE_DB;
  if (!adminUrl || !template) throw new Error('run the tests with npm test (global setup)');
  // Named after the run's template, so the run's teardown drops its own databases only (the
  // Postgres server may be shared with other runs).
  const name = `${template}_${randomBytes(6).toString('hex')}`;
  const from = options.empty ? '' : ` TEMPLATE ${template}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}${from}`));
  const url = databaseUrl(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // DROP … WITH (FORCE) terminates connections still closing after pool.end(); unheard, that
  // error would fail whichever test is running in this process.
  pool.on('error', () => undefined);
  return {
    url,
    query: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) =>
      (await pool.query<R>(sql, params)).rows,
    drop: async () => {
      await pool.end();
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
