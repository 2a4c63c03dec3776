import { ProviderError } from '../directory/providers/directory-provider.js';
import type { ErrorClass } from '../metrics/metrics.service.js';
import type { FailureVerdict } from '../sync-jobs/sync-job.service.js';
import { MassDeprovisionError } from '../sync/sync.service.js';

/**
 * Whether a failed sync may be retried: provider errors say so themselves (auth and config
 * errors may not), a mass-deprovision refusal needs a person, and anything else (the
 * database went away, a bug) is retried in case it was passing.
 */
export function failureVerdict(error: unknown): FailureVerdict {
  if (error instanceof ProviderError) {
    return { message: error.message, retryable: error.retryable, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof MassDeprovisionError) return { message: error.message, retryable: false };
  const message = error instanceof Error ? error.message : String(error);
  return { message: `sync failed: ${message}`, retryable: true };
}

/** The metrics' error class of a failed attempt. */
export function errorClass(error: unknown): ErrorClass {
  if (error instanceof ProviderError) return error.kind;
  if (error instanceof MassDeprovisionError) return 'guard';
  return 'other';
}
