import { describe, expect, it } from '@jest/globals';
import type { JobHandler } from './job-handler.js';
import { JobRegistry } from './job-registry.js';

const handler = (kind: string, concurrency = 1): JobHandler => ({
  kind,
  settings: { concurrency, leaseMs: 1000, backoffMs: () => 1000 },
  run: () => Promise.resolve(null),
  verdict: () => ({ message: 'failed', retryable: true, errorClass: 'other' }),
});

describe('JobRegistry', () => {
  it('holds one handler per kind and refuses a second', () => {
    const registry = new JobRegistry();
    const sync = handler('sync');
    registry.register(sync);
    expect(registry.get('sync')).toBe(sync);
    expect(() => registry.register(handler('sync'))).toThrow(
      'two handlers are registered for job kind "sync"',
    );
    expect(registry.all()).toEqual([sync]);
  });

  it('refuses settings a worker cannot run', () => {
    expect(() => new JobRegistry().register(handler('none', 0))).toThrow(/concurrency >= 1/);
  });

  it('names the kinds it has no handler for', () => {
    const registry = new JobRegistry();
    registry.register(handler('sync'));
    expect(registry.unknown(['sync', 'webhook', 'mystery'])).toEqual(['webhook', 'mystery']);
  });
});
