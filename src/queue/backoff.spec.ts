import { describe, expect, it } from '@jest/globals';
import { backoffMs, MAX_BACKOFF_MS } from './backoff.js';

describe('backoffMs', () => {
  const none = () => 0;
  it('doubles from the base: 30 s, 60 s, 120 s by default', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 30_000, none))).toEqual([
      30_000, 60_000, 120_000, 240_000,
    ]);
  });

  it('adds at most 10 % jitter', () => {
    expect(backoffMs(1, 30_000, () => 0.999)).toBe(32_997);
    expect(backoffMs(2, 30_000, () => 0.5)).toBe(63_000);
  });

  it('is capped at an hour, jitter included', () => {
    expect(backoffMs(10, 30_000, none)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(30, 30_000, () => 0.999)).toBe(MAX_BACKOFF_MS);
  });

  it('treats attempt 0 like attempt 1', () => {
    expect(backoffMs(0, 1000, none)).toBe(1000);
  });
});
