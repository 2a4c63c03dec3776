import { Injectable } from '@nestjs/common';

/**
 * In-process signal "jobs of this kind were enqueued", so this process's worker claims them
 * at once. (Other processes hear about it through the NOTIFY trigger; the poll is the
 * backstop.)
 */
@Injectable()
export class JobSignals {
  private readonly listeners = new Set<(kind: string) => void>();

  onEnqueued(listener: (kind: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  enqueued(kind: string): void {
    for (const listener of this.listeners) listener(kind);
  }
}
