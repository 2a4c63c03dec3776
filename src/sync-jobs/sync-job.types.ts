import type { Job } from '../queue/job.js';

/** The kind of the jobs that sync a connection; their dedupe key is the connection id. */
export const SYNC_KIND = 'sync';

export interface SyncJobPayload {
  /** Skip the mass-deprovision guard for this run (an admin confirmed the loss). */
  allowMassDeprovision?: boolean;
}

/** What a run did to the connection's groups and their memberships. */
export interface GroupStats {
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
}

/**
 * What one sync run did: a sync job's result, as the API's `stats` shows it. The group
 * counts are there when the run synced groups.
 */
export interface SyncStats extends Partial<GroupStats> {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
}

export type SyncJob = Job<SyncJobPayload, SyncStats>;
