/**
 * The leases of one kind's running jobs, extended together: one statement per beat for all
 * of them, and no timer at all while none runs.
 */
export class Heartbeats {
  private readonly ids = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly everyMs: number,
    private readonly beat: (ids: string[]) => Promise<void>,
  ) {}

  add(id: string): void {
    this.ids.add(id);
    this.timer ??= setInterval(() => void this.beat([...this.ids]), this.everyMs);
  }

  remove(id: string): void {
    this.ids.delete(id);
    if (this.ids.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
