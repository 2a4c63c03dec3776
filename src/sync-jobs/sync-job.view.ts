import type { JobStatus, JobTrigger } from '../queue/job.js';
import type { SyncJob, SyncPreview, SyncStats } from './sync-job.types.js';

export interface SyncJobView {
  id: string;
  connectionId: string | null;
  status: JobStatus;
  trigger: JobTrigger;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAfter: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelRequested: boolean;
  allowMassDeprovision: boolean;
  dryRun: boolean;
  stats: Omit<SyncStats, 'preview'> | null;
  /**
   * A dry run's preview, or the guard's on a run it stopped (who would have been
   * deactivated: the rest was written); null otherwise.
   */
  preview: SyncPreview | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A sync job as the API shows it: its connection is its dedupe key (null once the connection
 * is deleted); which worker holds it is internal.
 */
export function toJobView(job: SyncJob): SyncJobView {
  const { preview = null, ...stats } = job.result ?? {};
  return {
    id: job.id,
    connectionId: job.dedupeKey,
    status: job.status,
    trigger: job.trigger,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    lastError: job.lastError,
    runAfter: job.runAfter,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    cancelRequested: job.cancelRequested,
    allowMassDeprovision: job.payload.allowMassDeprovision === true,
    dryRun: job.payload.dryRun === true,
    stats: job.result ? (stats as SyncStats) : null,
    preview,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
