import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS } from '../../src/database/data-source-options.js';

/** Applies the migrations that come before the one named `before` (to seed the old shape). */
export async function migrateUpTo(url: string, before: string): Promise<void> {
  const migrations = MIGRATIONS.slice(
    0,
    MIGRATIONS.findIndex((m) => m.name === before),
  );
  await withDataSource(url, migrations, (dataSource) =>
    dataSource.runMigrations({ transaction: 'each' }),
  );
}

/** Reverts the migrations applied, last first, until the one named `name` is reverted too. */
export async function migrateDownThrough(url: string, name: string): Promise<void> {
  await withDataSource(url, MIGRATIONS, async (dataSource) => {
    const applied = async () => {
      const rows: unknown[] = await dataSource.query(`SELECT 1 FROM migrations WHERE name = $1`, [
        name,
      ]);
      return rows.length > 0;
    };
    while (await applied()) await dataSource.undoLastMigration({ transaction: 'each' });
  });
}

async function withDataSource(
  url: string,
  migrations: typeof MIGRATIONS,
  work: (dataSource: DataSource) => Promise<unknown>,
): Promise<void> {
  const dataSource = await new DataSource({ ...dataSourceOptions(url), migrations }).initialize();
  try {
    await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
