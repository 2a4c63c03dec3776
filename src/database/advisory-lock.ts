import type { DataSource } from 'typeorm';

/**
 * Runs `work` only if this process wins the session-level advisory lock `key` right now
 * (never waits): with many instances, one of them does the housekeeping each round.
 */
export async function ifLockAvailable(
  dataSource: DataSource,
  key: number,
  work: () => Promise<void>,
): Promise<boolean> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
      key,
    ])) as { locked: boolean }[];
    if (!locked) return false;
    try {
      await work();
      return true;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}
