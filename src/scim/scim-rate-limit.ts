import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import type { AppConfig } from '../config/config.schema.js';
import { sqlRows } from '../database/sql.js';

/**
 * SCIM_RATE_LIMIT requests per push connection per minute, counted in Postgres in fixed
 * one-minute windows (one upsert per request) so the limit holds across instances. The first
 * request of a window drops that connection's old windows: no housekeeping job needed.
 */
@Injectable()
export class ScimRateLimit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async consume(connectionId: string): Promise<void> {
    const limit = this.config.get('scimRateLimit', { infer: true });
    if (limit === 0) return;
    const [row] = await sqlRows<{ count: number; reset_in: number }>(
      this.dataSource,
      `INSERT INTO scim_request_window AS w (connection_id, window_start, count)
       VALUES ($1, date_trunc('minute', now()), 1)
       ON CONFLICT (connection_id, window_start) DO UPDATE SET count = w.count + 1
       RETURNING w.count,
                 ceil(extract(epoch FROM w.window_start + interval '1 minute' - now()))::int
                   AS reset_in`,
      [connectionId],
    );
    if (row.count === 1) {
      await this.dataSource.query(
        `DELETE FROM scim_request_window
          WHERE connection_id = $1 AND window_start < date_trunc('minute', now())`,
        [connectionId],
      );
    }
    if (row.count > limit) {
      const retryAfter = Math.max(row.reset_in, 1);
      throw new TooManyRequestsException(
        `too many SCIM requests for this connection (${limit} a minute); retry in ${retryAfter} s`,
        retryAfter,
      );
    }
  }
}
