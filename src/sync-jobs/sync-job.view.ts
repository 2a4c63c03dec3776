import type { SyncStats } from '../sync/sync.service.js';
import type { SyncJob, SyncJobStatus, SyncJobTrigger } from './sync-job.entity.js';

export interface SyncJobView {
  id: string;
  connectionId: string | null;
  status: SyncJobStatus;
  trigger: SyncJobTrigger;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAfter: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelRequested: boolean;
  allowMassDeprovision: boolean;
  stats: SyncStats | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A job as the API shows it (which worker holds it is internal). */
export function toJobView(job: SyncJob): SyncJobView {
  return {
    id: job.id,
    connectionId: job.connectionId,
    status: job.status,
    trigger: job.trigger,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    lastError: job.lastError,
    runAfter: job.runAfter,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    cancelRequested: job.cancelRequested,
    allowMassDeprovision: job.allowMassDeprovision,
    stats: job.stats,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
