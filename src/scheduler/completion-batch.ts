interface Waiting {
  id: string;
  result: unknown;
  settled: (ours: boolean) => void;
  failed: (error: unknown) => void;
}

/**
 * Successes of one kind, written together: a job that finishes while a write is under way
 * waits for the next one, which takes everything that finished meanwhile. Under load a
 * single statement completes a whole batch; when idle a job is written at once (at the end
 * of the current turn of the event loop, so jobs that finish together go together).
 */
export class CompletionBatch {
  private waiting: Waiting[] = [];
  private writing = false;
  private scheduled = false;

  /** `write` returns the ids that were still this worker's. */
  constructor(private readonly write: (done: Waiting[]) => Promise<Set<string>>) {}

  /** Jobs finished but not yet in a write under way. */
  get size(): number {
    return this.waiting.length;
  }

  /** Resolves with false when the job was no longer this worker's (the reaper took it). */
  add(id: string, result: unknown): Promise<boolean> {
    return new Promise((settled, failed) => {
      this.waiting.push({ id, result, settled, failed });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.writing = true;
    const batch = this.waiting;
    this.waiting = [];
    try {
      const ours = await this.write(batch);
      for (const job of batch) job.settled(ours.has(job.id));
    } catch (error) {
      for (const job of batch) job.failed(error);
    } finally {
      this.writing = false;
      if (this.waiting.length) this.schedule();
    }
  }
}
