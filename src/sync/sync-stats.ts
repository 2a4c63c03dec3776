/** What one sync run did, as a job's `stats` shows it. */
export interface SyncStats {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
}

/** What a connection's `lastSyncCount` shows: the users the run could use. */
export function syncedCount(stats: SyncStats): number {
  return stats.fetched - stats.skipped;
}
