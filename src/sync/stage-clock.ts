import type { SyncStage, SyncTimings } from '../sync-jobs/sync-job.types.js';

/**
 * Where a run's time goes, stage by stage: `performance.now()` around the awaits the run
 * already makes, so timing costs a few clock reads per batch, not per person.
 */
export class StageClock {
  private readonly started = performance.now();
  private lapped = this.started;
  private readonly spent: Record<SyncStage, number> = {
    fetch: 0,
    map: 0,
    write: 0,
    waitingOnWrite: 0,
    deprovision: 0,
    groups: 0,
  };

  /** Adds the time until `work` settles to `stage`. */
  async time<T>(stage: SyncStage, work: Promise<T>): Promise<T> {
    const from = performance.now();
    try {
      return await work;
    } finally {
      this.spent[stage] += performance.now() - from;
    }
  }

  /** Adds the time `work` takes (synchronous) to `stage`. */
  timeSync<T>(stage: SyncStage, work: () => T): T {
    const from = performance.now();
    try {
      return work();
    } finally {
      this.spent[stage] += performance.now() - from;
    }
  }

  /** Adds the time since the previous lap (or the start) to `stage`, if given. */
  lap(stage?: SyncStage): void {
    const now = performance.now();
    if (stage) this.spent[stage] += now - this.lapped;
    this.lapped = now;
  }

  /** `source`, with the time spent waiting for each of its items added to `stage`. */
  async *timeEach<T>(stage: SyncStage, source: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.time(stage, iterator.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }

  /** The stages so far and the whole run, in whole milliseconds. */
  timings(): SyncTimings {
    const rounded = Object.entries(this.spent).map(([stage, ms]) => [stage, Math.round(ms)]);
    return {
      ...(Object.fromEntries(rounded) as Record<SyncStage, number>),
      total: Math.round(performance.now() - this.started),
    };
  }
}
