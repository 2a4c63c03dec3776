import type { Job } from '../queue/job.js';

/** The kind of the jobs that sync a connection; their dedupe key is the connection id. */
export const SYNC_KIND = 'sync';

export interface SyncJobPayload {
  /** Skip the mass-deprovision guard for this run (an admin confirmed the loss). */
  allowMassDeprovision?: boolean;
  /** Run the sync without writing the roster; the result carries a preview. */
  dryRun?: boolean;
}

/** One person of a dry run's preview; `changes` only for updates (field: before and after). */
export interface PreviewPerson {
  email: string;
  externalId: string | null;
  changes?: Record<string, { from: unknown; to: unknown }>;
}

/**
 * Who a dry run would create, update, deactivate and reactivate: the first PREVIEW_LIMIT of
 * each (the stats have the full counts). `blockedBy`: the deprovision guard's message when a
 * real run would have stopped there.
 */
export interface SyncPreview {
  created: PreviewPerson[];
  updated: PreviewPerson[];
  deactivated: PreviewPerson[];
  reactivated: PreviewPerson[];
  blockedBy: string | null;
}

export const PREVIEW_LIMIT = 1000;

/** What a run did to the connection's groups and their memberships. */
export interface GroupStats {
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
}

export type SyncMode = 'full' | 'incremental';

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
  /**
   * full: the whole directory was read (and whoever it no longer has was deactivated);
   * incremental: only its change feed. Absent on runs from before incremental cycles.
   */
  mode?: SyncMode;
  /** Why the run took that mode, in words (e.g. "the last full cycle was 25 h ago"). */
  modeReason?: string;
  /**
   * Only on a dry run's result, or a guard-stopped run's (the job view shows it apart from
   * the stats).
   */
  preview?: SyncPreview;
}

export type SyncJob = Job<SyncJobPayload, SyncStats>;
