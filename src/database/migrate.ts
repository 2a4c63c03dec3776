import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

/** Any fixed number: it names the lock, so concurrent boots apply migrations one at a time. */
const MIGRATION_LOCK = 7_346_213_001;

/** Applies pending migrations; returns the names of those it applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = await new DataSource({
    ...dataSourceOptions(url),
    extra: { max: 2 },
  }).initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
    await dataSource.destroy();
  }
}
