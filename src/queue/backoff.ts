/** The longest a failed job waits before its next attempt, whatever the attempt count. */
export const MAX_BACKOFF_MS = 60 * 60_000;

/**
 * Wait before the attempt after `attempts` failed ones: base, 2×base, 4×base, … (30 s, 60 s,
 * 120 s by default) plus up to 10 % jitter so jobs that failed together do not retry
 * together; capped at an hour.
 */
export function backoffMs(attempts: number, baseMs: number, random: () => number = Math.random) {
  const exponential = Math.min(baseMs * 2 ** Math.max(attempts - 1, 0), MAX_BACKOFF_MS);
  return Math.round(Math.min(exponential * (1 + 0.1 * random()), MAX_BACKOFF_MS));
}
