import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * Rows of a raw statement, whatever its kind. (TypeORM's `query()` answers
 * `[rows, rowCount]` for UPDATE/DELETE … RETURNING and plain rows otherwise.)
 */
export async function sqlRows<T>(
  db: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const manager = 'manager' in db ? db.manager : db;
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    return ((await runner.query(sql, params, true)) as { records: T[] }).records;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * Rows of a statement run on the pool as the named prepared statement `name`: planned once
 * per connection instead of on every call, and without TypeORM's query runner. For the hot
 * statements of the queue and of webhook delivery, outside transactions.
 */
export async function preparedRows<T extends pg.QueryResultRow>(
  dataSource: DataSource,
  name: string,
  text: string,
  params: unknown[],
): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
  return (await pool.query<T>({ name, text, values: params })).rows;
}
