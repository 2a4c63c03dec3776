import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '../database/sql.js';
import type { ConnectionType } from '../directory/connection-types.js';
import { insertEventsFrom } from '../events/event-log.js';
import { syncedCount, type SyncStats } from './sync-stats.js';

/**
 * How a sync of a connection ended: its stats, or the error it failed with for good. `jobId`
 * is the job's, or null for a run outside the queue.
 */
export type ConnectionOutcome = {
  connectionId: string;
  companyId: string;
  jobId: string | null;
} & ({ stats: SyncStats } | { error: string });

/**
 * The one writer of a connection's sync outcome: ACTIVE with the last sync's time and count
 * after a success, ERROR with the last error after a final failure, and its
 * `connection.sync_succeeded` or `connection.sync_failed` event. Jobs call it in the
 * transaction of their own transition (the sync kind's `settled` hook), so a job, its
 * connection and its event never disagree; a sync run outside the queue calls it on its own.
 */
@Injectable()
export class SyncOutcome {
  /** Returns the connections written, with their type. */
  async record(
    db: DataSource | EntityManager,
    outcomes: ConnectionOutcome[],
  ): Promise<{ id: string; type: ConnectionType }[]> {
    if (!outcomes.length) return [];
    return sqlRows(
      db,
      `WITH written AS (
         UPDATE directory_connection c
            SET status = CASE WHEN o.error IS NULL THEN 'ACTIVE' ELSE 'ERROR' END,
                last_sync_at = CASE WHEN o.error IS NULL THEN now() ELSE c.last_sync_at END,
                last_sync_count = CASE WHEN o.error IS NULL THEN o.count ELSE c.last_sync_count END,
                last_error = o.error, updated_at = now()
           FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::uuid[], $6::jsonb[])
                AS o(id, company_id, count, error, job_id, stats)
          WHERE c.id = o.id AND c.company_id = o.company_id
         RETURNING c.id, c.type, c.company_id, o.error, o.job_id, o.stats),
       changes AS (
         SELECT company_id, id AS connection_id,
                CASE WHEN error IS NULL THEN 'connection.sync_succeeded'
                     ELSE 'connection.sync_failed' END AS type,
                CASE WHEN error IS NULL THEN jsonb_build_object('jobId', job_id, 'stats', stats)
                     ELSE jsonb_build_object('jobId', job_id, 'error', error) END AS data
           FROM written),
       events AS (${insertEventsFrom('changes')})
       SELECT id, type FROM written`,
      [
        outcomes.map((o) => o.connectionId),
        outcomes.map((o) => o.companyId),
        outcomes.map((o) => ('stats' in o ? syncedCount(o.stats) : null)),
        outcomes.map((o) => ('error' in o ? o.error.slice(0, 2000) : null)),
        outcomes.map((o) => o.jobId),
        outcomes.map((o) => ('stats' in o ? JSON.stringify(o.stats) : null)),
      ],
    );
  }
}
