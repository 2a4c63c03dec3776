import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { parseConfig } from './src/config/config.schema.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { EMBEDDED_DATABASE_NAME } from './src/database/database.js';
import { runningEmbeddedUrl } from './src/database/embedded-postgres.js';

/**
 * For the TypeORM CLI (after `npm run build`):
 *   npx typeorm migration:show -d dist/ormconfig.js
 * It uses DATABASE_URL, or else the embedded server that a running `npm start` owns.
 */
async function cliDatabaseUrl(): Promise<string> {
  const config = parseConfig(process.env);
  if (config.databaseUrl) return config.databaseUrl;
  const adminUrl = await runningEmbeddedUrl(config.dataDir);
  if (!adminUrl) {
    throw new Error('set DATABASE_URL, or start the service so its embedded database runs');
  }
  const url = new URL(adminUrl);
  url.pathname = `/${EMBEDDED_DATABASE_NAME}`;
  return url.toString();
}

export default new DataSource(dataSourceOptions(await cliDatabaseUrl()));
