import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { StageClock } from './stage-clock.js';

describe('StageClock', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('adds each await to its stage, and laps to the stage named', async () => {
    const clock = new StageClock();
    clock.timeSync('map', () => jest.advanceTimersByTime(7));
    const write = clock.time('write', after(30));
    await jest.advanceTimersByTimeAsync(30);
    await write;
    clock.lap();
    jest.advanceTimersByTime(12);
    clock.lap('deprovision');
    expect(clock.timings()).toEqual({
      fetch: 0,
      map: 7,
      write: 30,
      waitingOnWrite: 0,
      deprovision: 12,
      groups: 0,
      total: 49,
    });
  });

  it('times the wait for each item of an iterable, and counts a failed wait', async () => {
    const clock = new StageClock();
    async function* pages() {
      await after(10);
      yield 1;
      await after(15);
      throw new Error('page 2 failed');
    }
    const read = (async () => {
      for await (const page of clock.timeEach('fetch', pages())) expect(page).toBe(1);
    })();
    const failed = expect(read).rejects.toThrow('page 2 failed');
    await jest.advanceTimersByTimeAsync(25);
    await failed;
    expect(clock.timings()).toMatchObject({ fetch: 25, total: 25 });
  });
});
