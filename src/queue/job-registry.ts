import { Injectable } from '@nestjs/common';
import type { JobHandler } from './job-handler.js';

/**
 * The kinds this process can run, one handler each. Handlers register while the application
 * starts (their module's init): a second handler for a kind is a wiring mistake, and the
 * application refuses to start rather than run one kind two ways.
 */
@Injectable()
export class JobRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  register(handler: JobHandler): void {
    if (this.handlers.has(handler.kind)) {
      throw new Error(`two handlers are registered for job kind "${handler.kind}"`);
    }
    const { concurrency, leaseMs } = handler.settings;
    if (!Number.isInteger(concurrency) || concurrency < 1 || !(leaseMs > 0)) {
      throw new Error(`job kind "${handler.kind}" needs a concurrency >= 1 and a lease > 0`);
    }
    this.handlers.set(handler.kind, handler);
  }

  get(kind: string): JobHandler | undefined {
    return this.handlers.get(kind);
  }

  all(): JobHandler[] {
    return [...this.handlers.values()];
  }

  /** Of `kinds` (found waiting or running in the table), those no handler here can run. */
  unknown(kinds: readonly string[]): string[] {
    return kinds.filter((kind) => !this.handlers.has(kind));
  }
}
