import type { Job } from '../queue/job.js';

/** The kind of the jobs that sync a connection; their dedupe key is the connection id. */
export const SYNC_KIND = 'sync';

export interface SyncJobPayload {
  /** Skip the mass-deprovision guard for this run (an admin confirmed the loss). */
  allowMassDeprovision?: boolean;
}

/** What one sync run did: a sync job's result, as the API's `stats` shows it. */
export interface SyncStats {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
}

export type SyncJob = Job<SyncJobPayload, SyncStats>;
