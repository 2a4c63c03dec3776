import { ProviderError } from '../directory/providers/directory-provider.js';
import type { ErrorClass } from '../metrics/metrics.service.js';
import type { FailureVerdict } from '../queue/job-handler.js';
import { describe, MassDeprovisionError } from './sync.service.js';

/**
 * Whether a failed sync may be retried: provider errors say so themselves (auth and config
 * errors may not), a mass-deprovision refusal needs a person, and anything else (the
 * database went away, a bug) is retried in case it was passing.
 */
export function failureVerdict(error: unknown): FailureVerdict {
  const message = describe(error);
  const errorClass = classOf(error);
  if (error instanceof ProviderError) {
    return { message, retryable: error.retryable, retryAfterMs: error.retryAfterMs, errorClass };
  }
  if (error instanceof MassDeprovisionError) {
    return { message, retryable: false, errorClass, result: error.result };
  }
  return { message, retryable: true, errorClass };
}

/** The metrics' error class of a failed attempt. */
function classOf(error: unknown): ErrorClass {
  if (error instanceof ProviderError) return error.kind;
  if (error instanceof MassDeprovisionError) return 'guard';
  return 'other';
}
