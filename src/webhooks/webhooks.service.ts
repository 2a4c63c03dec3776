import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { ValidationFailedException } from '../common/validation.js';
import { sqlRows } from '../database/sql.js';
import { ConfigCrypto } from '../directory/config-crypto.js';
import { providerUrlProblem } from '../directory/network-policy.js';
import { EventLog } from '../events/event-log.js';
import { JobQueue } from '../queue/job-queue.js';
import {
  type CreateWebhookDto,
  DELIVERY_CURSOR,
  type ListDeliveriesQuery,
  type UpdateWebhookDto,
} from './dto/webhook.dto.js';
import { WebhookDeliveries } from './webhook-deliveries.js';
import { newSecret } from './webhook-signature.js';
import {
  ENDPOINT_COLUMNS,
  type EndpointRow,
  toDeliveryView,
  toEndpointView,
} from './webhook.view.js';

/** How long a rotated-out secret keeps signing next to the new one. */
const PREVIOUS_SECRET_HOURS = 24;

/** Where a new (or re-enabled) endpoint starts: after every event visible now. */
const FROM_NOW = `after_tx = pg_snapshot_xmin(pg_current_snapshot()), after_seq = 0`;

/**
 * A company's webhook endpoints: their lifecycle (secrets shown once, rotation, enabling and
 * disabling), test events, and their deliveries. Every id is looked up within the caller's
 * company: another company's endpoint is as missing as one that never existed.
 */
@Injectable()
export class WebhooksService {
  private readonly allowPrivateNetworks: boolean;
  private readonly maxAttempts: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ConfigCrypto) private readonly crypto: ConfigCrypto,
    private readonly deliveries: WebhookDeliveries,
    private readonly events: EventLog,
    private readonly queue: JobQueue,
    config: ConfigService<AppConfig, true>,
  ) {
    this.allowPrivateNetworks = config.get('directoryAllowPrivateNetworks', { infer: true });
    this.maxAttempts = config.get('webhookRetrySchedule', { infer: true }).length + 1;
  }

  /** The endpoint and its secret: the only answer that ever carries the secret. */
  async create(companyId: string, body: CreateWebhookDto) {
    this.checkUrl(body.url);
    const id = randomUUID();
    const secret = newSecret();
    const [row] = await sqlRows<EndpointRow>(
      this.dataSource,
      `INSERT INTO webhook_endpoint
         (id, company_id, url, event_types, enabled, description, secret_encrypted, after_tx,
          after_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, pg_snapshot_xmin(pg_current_snapshot()), 0)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [
        id,
        companyId,
        body.url,
        body.eventTypes ?? null,
        body.enabled ?? true,
        body.description ?? null,
        this.encrypt(secret, id),
      ],
    );
    return { ...toEndpointView(row), secret };
  }

  async list(companyId: string) {
    const rows = await sqlRows<EndpointRow>(
      this.dataSource,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE company_id = $1
        ORDER BY created_at, id`,
      [companyId],
    );
    return rows.map(toEndpointView);
  }

  async get(companyId: string, id: string) {
    return toEndpointView(await this.row(this.dataSource, companyId, id));
  }

  /**
   * Changes what is given. Disabling cancels the waiting deliveries (and writes
   * `webhook.disabled`); enabling starts from the events visible now: what happened while
   * the endpoint was disabled is in GET /api/events, not sent.
   */
  async update(companyId: string, id: string, body: UpdateWebhookDto) {
    if (body.url !== undefined) this.checkUrl(body.url);
    return this.dataSource.transaction(async (tx) => {
      const before = await this.row(tx, companyId, id, 'FOR UPDATE');
      if (body.enabled === false && before.enabled) {
        await this.disable(tx, [id], 'disabled through the API');
      }
      const sets: string[] = ['updated_at = now()'];
      const params: unknown[] = [id];
      if (body.url !== undefined) sets.push(`url = $${params.push(body.url)}`);
      if (body.eventTypes !== undefined) {
        sets.push(`event_types = $${params.push(body.eventTypes)}::text[]`);
      }
      if (body.description !== undefined) {
        sets.push(`description = $${params.push(body.description)}`);
      }
      if (body.enabled === true && !before.enabled) {
        sets.push('enabled = true', 'disabled_reason = NULL', 'failing_since = NULL', FROM_NOW);
      }
      const [row] = await sqlRows<EndpointRow>(
        tx,
        `UPDATE webhook_endpoint SET ${sets.join(', ')} WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
        params,
      );
      return toEndpointView(row);
    });
  }

  /** Deletes the endpoint and its deliveries; its waiting jobs are cancelled. */
  async remove(companyId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const gone = await sqlRows<{ id: string }>(
        tx,
        `DELETE FROM webhook_endpoint WHERE id = $1 AND company_id = $2 RETURNING id`,
        [id, companyId],
      );
      if (!gone.length) throw notFound();
      await this.queue.cancelKeys(tx, 'webhook', [id], 'the webhook endpoint was deleted');
    });
  }

  /** A new secret, shown once; the previous one keeps signing alongside it for 24 hours. */
  async rotateSecret(companyId: string, id: string) {
    const secret = newSecret();
    const rows = await sqlRows<{ id: string }>(
      this.dataSource,
      `UPDATE webhook_endpoint
          SET previous_secret_encrypted = secret_encrypted,
              previous_secret_expires_at = now() + $4 * interval '1 hour',
              secret_encrypted = $3, updated_at = now()
        WHERE id = $1 AND company_id = $2
       RETURNING id`,
      [id, companyId, this.encrypt(secret, id), PREVIOUS_SECRET_HOURS],
    );
    if (!rows.length) throw notFound();
    return { secret };
  }

  /**
   * A `webhook.test` event, delivered to this endpoint only (once, without retries): it is in
   * the event log like any other, so the receiver sees a real event id.
   */
  async sendTest(companyId: string, id: string) {
    return this.dataSource.transaction(async (tx) => {
      const endpoint = await this.row(tx, companyId, id, 'FOR SHARE');
      if (!endpoint.enabled) throw new ConflictException('the webhook endpoint is disabled');
      await this.events.append(tx, {
        companyId,
        connectionId: null,
        type: 'webhook.test',
        data: { webhookId: id },
      });
      // The event just appended: this transaction's newest of the type.
      const [appended] = await sqlRows<{ id: string }>(
        tx,
        `SELECT id FROM event
          WHERE company_id = $1 AND tx = pg_current_xact_id() AND type = 'webhook.test'
          ORDER BY seq DESC LIMIT 1`,
        [companyId],
      );
      const delivery = await this.deliveries.insert(tx, {
        endpointId: id,
        eventId: appended.id,
        eventType: 'webhook.test',
      });
      await this.enqueueDeliveries(tx, [{ id: delivery.id, endpointId: id, companyId }], 1);
      return { eventId: appended.id, deliveryId: delivery.id };
    });
  }

  async listDeliveries(companyId: string, id: string, query: ListDeliveriesQuery) {
    await this.row(this.dataSource, companyId, id);
    const limit = query.limit ?? 50;
    const rows = await this.deliveries.list(id, {
      status: query.status,
      limit: limit + 1,
      cursor: query.cursor?.id,
    });
    const items = rows.slice(0, limit);
    return {
      items: items.map(toDeliveryView),
      nextCursor: rows.length > limit ? DELIVERY_CURSOR.encode({ id: items[limit - 1].id }) : null,
    };
  }

  /**
   * Sends a finished delivery (delivered, failed or cancelled) again, once. One that is
   * still waiting for its next attempt, or whose endpoint is disabled, is a conflict.
   */
  async retryDelivery(companyId: string, id: string, deliveryId: string) {
    return this.dataSource.transaction(async (tx) => {
      const endpoint = await this.row(tx, companyId, id, 'FOR SHARE');
      const reopened = await this.deliveries.reopen(tx, id, deliveryId);
      if (!reopened) {
        if (!(await this.deliveries.get(id, deliveryId))) {
          throw new NotFoundException('webhook delivery not found');
        }
        throw new ConflictException('the delivery is already waiting for its next attempt');
      }
      if (!endpoint.enabled) throw new ConflictException('the webhook endpoint is disabled');
      await this.enqueueDeliveries(tx, [{ id: deliveryId, endpointId: id, companyId }], 1);
      return toDeliveryView(reopened);
    });
  }

  /**
   * Disables endpoints in the caller's transaction: their waiting deliveries and jobs are
   * cancelled, and a `webhook.disabled` event says so to the company's other endpoints and to
   * GET /api/events.
   */
  async disable(tx: EntityManager, ids: string[], reason: string): Promise<void> {
    const disabled = await this.deliveries.disable(tx, ids, reason);
    if (!disabled.length) return;
    await this.queue.cancelKeys(
      tx,
      'webhook',
      disabled.map((row) => row.id),
      `the webhook endpoint was disabled (${reason})`,
    );
    await this.events.append(
      tx,
      disabled.map((row) => ({
        companyId: row.company_id,
        connectionId: null,
        type: 'webhook.disabled' as const,
        data: toEndpointView(row),
      })),
    );
  }

  /**
   * The jobs that send deliveries, in the transaction that made them (the fan-out's, a test
   * event's, a re-send's): the endpoint is each job's concurrency key.
   */
  async enqueueDeliveries(
    tx: EntityManager,
    deliveries: { id: string; endpointId: string; companyId: string }[],
    maxAttempts = this.maxAttempts,
  ): Promise<void> {
    if (!deliveries.length) return;
    await this.queue.enqueueMany(
      'webhook',
      deliveries.map((d) => ({
        companyId: d.companyId,
        concurrencyKey: d.endpointId,
        payload: { deliveryId: d.id },
        trigger: 'manual' as const,
        maxAttempts,
      })),
      tx,
    );
  }

  private async row(
    db: DataSource | EntityManager,
    companyId: string,
    id: string,
    lock = '',
  ): Promise<EndpointRow> {
    const [row] = await sqlRows<EndpointRow>(
      db,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = $1 AND company_id = $2 ${lock}`,
      [id, companyId],
    );
    if (!row) throw notFound();
    return row;
  }

  private checkUrl(url: string): void {
    const problem = /^https?:\/\//i.test(url)
      ? providerUrlProblem(url, this.allowPrivateNetworks)
      : 'must be an https URL';
    if (problem) throw new ValidationFailedException([{ field: 'url', message: `url ${problem}` }]);
  }

  private encrypt(secret: string, id: string): Buffer {
    return this.crypto.encrypt({ secret }, id);
  }
}

function notFound(): NotFoundException {
  return new NotFoundException('webhook endpoint not found');
}
