import { describe, expect, it } from '@jest/globals';
import { CompletionBatch } from './completion-batch.js';

describe('CompletionBatch', () => {
  it('writes jobs that finish together in one write, and tells each whether it was still ours', async () => {
    const writes: string[][] = [];
    const batch = new CompletionBatch((done) => {
      writes.push(done.map((d) => d.id));
      return Promise.resolve(new Set(['a', 'c']));
    });
    const results = await Promise.all(['a', 'b', 'c'].map((id) => batch.add(id, { id })));
    expect(writes).toEqual([['a', 'b', 'c']]);
    expect(results).toEqual([true, false, true]);
  });

  it('holds jobs that finish during a write for the next one', async () => {
    const writes: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const batch = new CompletionBatch(async (done) => {
      writes.push(done.map((d) => d.id));
      if (writes.length === 1) await first;
      return new Set(done.map((d) => d.id));
    });
    const a = batch.add('a', null);
    await new Promise((resolve) => setImmediate(resolve)); // the first write is under way
    const later = [batch.add('b', null), batch.add('c', null)];
    expect(batch.size).toBe(2);
    release();
    await Promise.all([a, ...later]);
    expect(writes).toEqual([['a'], ['b', 'c']]);
    expect(batch.size).toBe(0);
  });

  it('fails every job of a write that failed, and goes on with the next', async () => {
    let fail = true;
    const batch = new CompletionBatch((done) => {
      if (fail) return Promise.reject(new Error('database away'));
      return Promise.resolve(new Set(done.map((d) => d.id)));
    });
    await expect(batch.add('a', null)).rejects.toThrow('database away');
    fail = false;
    await expect(batch.add('b', null)).resolves.toBe(true);
  });
});
