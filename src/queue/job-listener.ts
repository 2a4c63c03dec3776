import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** A job of the kind named became PENDING. */
const PENDING_CHANNEL = 'job_pending';
/** Rows were written that the kind named makes its jobs from (see JobHandler.feed). */
const FEED_CHANNEL = 'job_feed';
const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * One dedicated connection that LISTENs for "a job of this kind became PENDING" (a trigger
 * NOTIFYs it in the enqueuing transaction), so every worker claims at once, on any machine,
 * and only the kind that has work. An idle worker
 * costs the database one idle connection, no polling beyond the backstop interval. The
 * connection is re-established with backoff if it drops; a reconnect counts as a
 * notification, since some may have been missed meanwhile.
 */
@Injectable()
export class JobListener {
  private readonly logger = new Logger(JobListener.name);
  private client?: pg.Client;
  /** `kind` undefined: any kind may have jobs, or rows to make them from (after a reconnect). */
  private onPending?: (kind?: string) => void;
  private onFeed?: (kind?: string) => void;
  private reconnectDelayMs = 250;
  private reconnectTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  start(onPending: (kind?: string) => void, onFeed: (kind?: string) => void = () => {}): void {
    this.onPending = onPending;
    this.onFeed = onFeed;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { url } = this.dataSource.options as { url?: string };
    const client = new pg.Client({
      connectionString: url,
      application_name: 'directory-sync listener',
    });
    client.on('notification', (message) => {
      const kind = message.payload || undefined;
      if (message.channel === FEED_CHANNEL) this.onFeed?.(kind);
      else this.onPending?.(kind);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${PENDING_CHANNEL}; LISTEN ${FEED_CHANNEL}`);
      this.reconnectDelayMs = 250;
      this.onFeed?.();
      this.onPending?.();
    } catch (error) {
      this.lost(client, error);
    }
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.logger.warn(
      `LISTEN connection lost${error instanceof Error ? ` (${error.message})` : ''}; ` +
        `reconnecting in ${this.reconnectDelayMs} ms`,
    );
    this.reconnectTimer = setTimeout(() => void this.connect(), this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
  }
}
