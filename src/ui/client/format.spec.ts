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
  lastSyncAt: null,
  lastSyncCount: null,
  lastError: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('nextRun', () => {
  it('is the last sync plus the interval', () => {
    expect(nextRun(connection({ lastSyncAt: '2026-01-10T11:30:00Z' }), NOW)).toEqual({
      kind: 'at',
      at: '2026-01-10T12:30:00.000Z',
    });
  });

  it('is due when that time has passed, or the connection never synced', () => {
    expect(nextRun(connection({ lastSyncAt: '2026-01-10T10:00:00Z' }), NOW)).toEqual({
      kind: 'due',
    });
    expect(nextRun(connection({ lastSyncAt: null }), NOW)).toEqual({ kind: 'due' });
  });

  it('has none without an interval, nor for a scim connection (pushed to)', () => {
    expect(nextRun(connection({ syncIntervalMinutes: null }), NOW)).toEqual({ kind: 'manual' });
    expect(nextRun(connection({ type: 'scim' }), NOW)).toEqual({ kind: 'pushed' });
  });
});
