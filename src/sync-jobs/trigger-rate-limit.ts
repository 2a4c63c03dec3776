import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import type { AppConfig } from '../config/config.schema.js';
import { sqlRows } from '../database/sql.js';

/**
 * SYNC_TRIGGER_RATE_LIMIT manual syncs per company per minute, counted in Postgres (fixed
 * one-minute windows) so the limit holds across every API instance. Coalesced triggers are
 * cheap; this only stops abuse.
 */
@Injectable()
export class TriggerRateLimit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async consume(companyId: string): Promise<void> {
    const limit = this.config.get('syncTriggerRateLimit', { infer: true });
    if (limit === 0) return;
    const [row] = await sqlRows<{ count: number; reset_in: number }>(
      this.dataSource,
      `INSERT INTO sync_trigger_window AS w (company_id, window_start, count)
       VALUES ($1, date_trunc('minute', now()), 1)
       ON CONFLICT (company_id, window_start) DO UPDATE SET count = w.count + 1
       RETURNING w.count,
                 ceil(extract(epoch FROM w.window_start + interval '1 minute' - now()))::int
                   AS reset_in`,
      [companyId],
    );
    if (row.count > limit) {
      const retryAfter = Math.max(row.reset_in, 1);
      throw new TooManyRequestsException(
        `too many sync requests for this company (${limit} a minute); retry in ${retryAfter} s`,
        retryAfter,
      );
    }
  }

  /** Windows older than a few minutes are of no use; the scheduler drops them. */
  async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM sync_trigger_window WHERE window_start < now() - interval '5 minutes'`,
    );
  }
}
