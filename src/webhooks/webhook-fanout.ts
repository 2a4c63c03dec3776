import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { WebhookDeliveries } from './webhook-deliveries.js';
import { WebhooksService } from './webhooks.service.js';

/** Endpoints one fan-out round takes, and events per endpoint: one round's transaction. */
const ENDPOINTS_PER_ROUND = 50;
const EVENTS_PER_ENDPOINT = 500;

/**
 * Turns new events into deliveries and their jobs, round after round until every enabled
 * endpoint has caught up with the events visible now. Each round is one transaction: the
 * deliveries, their jobs and the endpoints' new positions commit together or not at all.
 * Any number of processes may run it at once (see `WebhookDeliveries.fanOut`).
 */
@Injectable()
export class WebhookFanout {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: WebhookDeliveries,
    private readonly webhooks: WebhooksService,
  ) {}

  /** Returns how many deliveries were made. */
  async run(): Promise<number> {
    let made = 0;
    for (;;) {
      const round = await this.dataSource.transaction(async (tx) => {
        const fanned = await this.deliveries.fanOut(tx, ENDPOINTS_PER_ROUND, EVENTS_PER_ENDPOINT);
        await this.webhooks.enqueueDeliveries(tx, fanned.deliveries);
        return fanned;
      });
      made += round.deliveries.length;
      if (!round.more) return made;
    }
  }
}
