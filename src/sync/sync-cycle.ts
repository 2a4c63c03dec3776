import type { QueryRunner } from 'typeorm';
import type { SyncTarget } from '../directory/directory.service.js';
import type { ChangeFeed, FeedCursor } from '../directory/providers/directory-provider.js';
import type { SyncMode } from '../sync-jobs/sync-job.types.js';

const HOUR_MS = 3_600_000;

/** How a run reads the directory, and why (the job's stats say both). */
export type CyclePlan =
  | { mode: 'full'; reason: string; feed?: ChangeFeed }
  | { mode: 'incremental'; reason: string; feed: ChangeFeed; cursor: FeedCursor };

/**
 * Full or incremental. Incremental only when the provider has a change feed this config can
 * use, a finished run left a cursor (dropped whenever the config changes), and the last full
 * cycle is recent enough: deletions a feed cannot show (LDAP, Okta) are caught by full ones.
 * A dry run always previews a full cycle: it shows everyone a real full cycle would change.
 */
export function planCycle(
  target: SyncTarget,
  feed: ChangeFeed | undefined,
  dryRun: boolean,
  now: number,
): CyclePlan {
  if (!feed) return { mode: 'full', reason: `${target.type} has no change feed` };
  const unsupported = feed.unsupported(target.config);
  if (unsupported) return { mode: 'full', reason: unsupported };
  if (dryRun) return { mode: 'full', reason: 'a dry run previews a full cycle' };
  if (!target.feed) {
    return { mode: 'full', feed, reason: 'no cursor yet (first sync, or the config changed)' };
  }
  const hours = (now - target.feed.fullSyncAt.getTime()) / HOUR_MS;
  if (hours >= target.fullSyncIntervalHours) {
    return {
      mode: 'full',
      feed,
      reason: `the last full cycle was ${Math.floor(hours)} h ago (fullSyncIntervalHours ${target.fullSyncIntervalHours})`,
    };
  }
  return {
    mode: 'incremental',
    feed,
    cursor: target.feed.cursor,
    reason: `the last full cycle was ${Math.floor(hours)} h ago; reading the change feed`,
  };
}

/**
 * Saves where the next cycle starts, after a run that finished (a crash before this keeps
 * the previous cursor). Not if the connection's config changed meanwhile: the cursor was
 * read under the old one.
 */
export async function saveCursor(
  db: QueryRunner,
  target: SyncTarget,
  mode: SyncMode,
  cursor: FeedCursor,
  fullSyncAt: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO sync_cursor (connection_id, cursor, full_sync_at)
     SELECT id, $3, $4 FROM directory_connection
      WHERE id = $1 AND config_encrypted = $2
     ON CONFLICT (connection_id) DO UPDATE
        SET cursor = EXCLUDED.cursor, updated_at = now(),
            full_sync_at = CASE WHEN $5 THEN EXCLUDED.full_sync_at ELSE sync_cursor.full_sync_at END`,
    [target.connectionId, target.configCiphertext, cursor, fullSyncAt, mode === 'full'],
  );
}
