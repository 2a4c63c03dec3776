import type { AppConfig } from '../config/config.schema.js';
import { ensureDatabase, startEmbeddedPostgres } from './embedded-postgres.js';

export const EMBEDDED_DATABASE_NAME = 'directory_sync';

export interface DatabaseHandle {
  url: string;
  /** Stops the embedded server when this process started it; otherwise does nothing. */
  close(): Promise<void>;
}

/** `DATABASE_URL` when set; otherwise the embedded PostgreSQL in `DATA_DIR/postgres`. */
export async function openDatabase(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>,
  log: (message: string) => void,
): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl, close: async () => {} };
  const server = await startEmbeddedPostgres(config.dataDir, log);
  try {
    const url = await ensureDatabase(server.adminUrl, EMBEDDED_DATABASE_NAME);
    return { url, close: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
