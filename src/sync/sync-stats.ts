import type { SyncStats } from '../sync-jobs/sync-job.types.js';

export type { SyncStats } from '../sync-jobs/sync-job.types.js';

/** What a connection's `lastSyncCount` shows: the users the run could use. */
export function syncedCount(stats: SyncStats): number {
  return stats.fetched - stats.skipped;
}
