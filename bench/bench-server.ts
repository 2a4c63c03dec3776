import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { runMigrations } from '../src/database/migrate.js';

export interface BenchServer {
  /** Where it runs: `embedded` or `DATABASE_URL`. */
  origin: 'embedded' | 'DATABASE_URL';
  /** A client on the server's admin database. */
  admin: pg.Client;
  /** A new, migrated database; `drop` removes it. */
  createDatabase(): Promise<{ url: string; drop: () => Promise<void> }>;
  stop(): Promise<void>;
}

/**
 * The PostgreSQL server of a benchmark: DATABASE_URL's when set (its user must be allowed to
 * create databases), else an embedded one in a temporary folder.
 */
export async function benchServer(): Promise<BenchServer> {
  let dataDir: string | undefined;
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'directory-sync-bench-'));
    embedded = await startEmbeddedPostgres(dataDir, () => {});
    serverUrl = embedded.adminUrl;
  }
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let databases = 0;
  return {
    origin: embedded ? 'embedded' : 'DATABASE_URL',
    admin,
    async createDatabase() {
      const name = `ds_bench_${process.pid}_${Date.now()}_${++databases}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      await runMigrations(url.toString());
      return {
        url: url.toString(),
        drop: async () => {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
    async stop() {
      await admin.end();
      await embedded?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
