/**
 * One connection shared by the reads of a group reader (a bound LDAP client, an AWS SDK
 * client): opened on first use, reused by the reads that follow — a group's member list
 * after another — and closed once no read has used it for `idleMs`, or when the run's signal
 * aborts. A GroupReader has no close of its own: this is what keeps it from leaking.
 */
export class IdleSession<T> {
  private current?: Promise<T>;
  private users = 0;
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly open: () => Promise<T>,
    private readonly dispose: (value: T) => unknown,
    private readonly idleMs: number,
    signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.close(), { once: true });
  }

  /** The pages `read` yields with the session's connection, held while they stream. */
  async *stream<R>(read: (connection: T) => AsyncIterable<R>): AsyncIterable<R> {
    const connection = await this.acquire();
    try {
      yield* read(connection);
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<T> {
    clearTimeout(this.idle);
    this.users++;
    this.current ??= this.open();
    try {
      return await this.current;
    } catch (error) {
      this.current = undefined;
      this.release();
      throw error;
    }
  }

  private release(): void {
    if (--this.users > 0) return;
    this.idle = setTimeout(() => this.close(), this.idleMs);
    this.idle.unref();
  }

  private close(): void {
    clearTimeout(this.idle);
    const current = this.current;
    this.current = undefined;
    void current?.then(this.dispose).catch(() => undefined);
  }
}
