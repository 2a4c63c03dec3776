import { describe, expect, it } from '@jest/globals';
import { nextRun } from './format.js';
import type { Connection } from './types.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const connection = (over: Partial<Connection>): Connection => ({
  id: 'c',
  name: 'Okta',
  type: 'okta',
  status: 'ACTIVE',
  config: {},
  syncIntervalMinutes: 60,
  maxAttempts: 4,
  deprovisionThresholdPercent: 20,
  fullSyncIntervalHours: 24,
  lastSyncAt: null,
  lastSyncCount: null,
  lastError: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  nextSyncAt: null,
  ...over,
});

describe('nextRun', () => {
  it("is the API's nextSyncAt", () => {
    expect(nextRun(connection({ nextSyncAt: '2026-01-10T12:30:00.000Z' }), NOW)).toEqual({
      kind: 'at',
      at: '2026-01-10T12:30:00.000Z',
    });
  });

  it('is due when that time has passed', () => {
    expect(nextRun(connection({ nextSyncAt: '2026-01-10T10:00:00.000Z' }), NOW)).toEqual({
      kind: 'due',
    });
  });

  it('has none without an interval, nor for a scim connection (pushed to)', () => {
    expect(nextRun(connection({ nextSyncAt: null }), NOW)).toEqual({ kind: 'manual' });
    expect(nextRun(connection({ type: 'scim' }), NOW)).toEqual({ kind: 'pushed' });
  });
});
