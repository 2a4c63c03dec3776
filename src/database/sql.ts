import type { DataSource, EntityManager } from 'typeorm';

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
