export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const JOB_STATUSES: readonly JobStatus[] = [
  'PENDING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
];
/** What made a job: a person (or an API client), a schedule, or a retry of a finished job. */
export type JobTrigger = 'manual' | 'schedule' | 'retry';

/** One row of the `job` table. `P` is the kind's payload, `R` its result. */
export interface Job<P = unknown, R = unknown> {
  id: string;
  kind: string;
  companyId: string;
  /** Jobs of one kind with the same key coalesce (one waiting, one running at a time). */
  dedupeKey: string | null;
  /** At most the kind's `perKey` jobs of one concurrency key run at once (e.g. per endpoint). */
  concurrencyKey: string | null;
  payload: P;
  status: JobStatus;
  trigger: JobTrigger;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAfter: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
  cancelRequested: boolean;
  result: R | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What an enqueue asks for. */
export interface NewJob<P = unknown> {
  kind: string;
  companyId: string;
  dedupeKey?: string | null;
  concurrencyKey?: string | null;
  payload: P;
  trigger: JobTrigger;
  maxAttempts: number;
}
