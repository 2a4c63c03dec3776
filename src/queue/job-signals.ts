import { Injectable } from '@nestjs/common';

/**
 * In-process signal "a job was enqueued", so this process's worker claims it at once. (Other
 * processes hear about it through the NOTIFY trigger, and the poll is the backstop.)
 */
@Injectable()
export class JobSignals {
  private readonly listeners = new Set<() => void>();

  onEnqueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  enqueued(): void {
    for (const listener of this.listeners) listener();
  }
}
