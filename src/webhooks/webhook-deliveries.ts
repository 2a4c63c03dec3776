import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { preparedRows, sqlRows } from '../database/sql.js';
import { VISIBLE } from '../events/event-log.js';
import {
  DELIVERY_COLUMNS,
  type DeliveryRow,
  type DeliveryStatus,
  ENDPOINT_COLUMNS,
  type EndpointRow,
} from './webhook.view.js';

type Db = DataSource | EntityManager;

/**
 * The statements of `webhook_delivery`: the fan-out that makes deliveries from new events,
 * what an attempt needs, the record of attempts, and the deliveries API's reads.
 */
const SQL = {
  /**
   * Fan-out: up to $1 enabled endpoints that have visible events after their position (each
   * locked, SKIP LOCKED: processes fanning out at once take different endpoints), up to $2
   * events each, in the event log's order. A delivery per event the endpoint wants (unique
   * per endpoint and event: a second fan-out of an event writes nothing), and each endpoint's
   * position moves past what was read. `webhook.test` goes only where it is sent.
   */
  fanOut: `
    WITH endpoints AS MATERIALIZED (
      SELECT e.id, e.company_id, e.event_types, e.after_tx, e.after_seq
        FROM webhook_endpoint e
       WHERE e.enabled
         AND EXISTS (SELECT 1 FROM event ev
                      WHERE ev.company_id = e.company_id
                        AND (ev.tx, ev.seq) > (e.after_tx, e.after_seq) AND ${VISIBLE})
       LIMIT $1
       FOR UPDATE OF e SKIP LOCKED),
    picked AS MATERIALIZED (
      SELECT e.id AS endpoint_id, e.company_id, e.event_types, ev.id AS event_id, ev.type,
             ev.tx, ev.seq
        FROM endpoints e
        CROSS JOIN LATERAL (
          SELECT ev.id, ev.type, ev.tx, ev.seq FROM event ev
           WHERE ev.company_id = e.company_id
             AND (ev.tx, ev.seq) > (e.after_tx, e.after_seq) AND ${VISIBLE}
           ORDER BY ev.tx, ev.seq
           LIMIT $2) ev),
    moved AS (
      UPDATE webhook_endpoint e SET after_tx = last.tx, after_seq = last.seq
        FROM (SELECT DISTINCT ON (endpoint_id) endpoint_id, tx, seq FROM picked
               ORDER BY endpoint_id, tx DESC, seq DESC) last
       WHERE e.id = last.endpoint_id),
    inserted AS (
      INSERT INTO webhook_delivery (endpoint_id, event_id, event_type)
      SELECT p.endpoint_id, p.event_id, p.type FROM picked p
       WHERE p.type <> 'webhook.test' AND (p.event_types IS NULL OR p.type = ANY (p.event_types))
      ON CONFLICT (endpoint_id, event_id) DO NOTHING
      RETURNING id, endpoint_id, event_id)
    SELECT (SELECT count(*) FROM endpoints)::int AS endpoints,
           (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM picked
                                              GROUP BY endpoint_id) per)::int AS most,
           coalesce(array_agg(i.id ORDER BY p.tx, p.seq), '{}') AS ids,
           coalesce(array_agg(i.endpoint_id ORDER BY p.tx, p.seq), '{}') AS endpoint_ids,
           coalesce(array_agg(p.company_id ORDER BY p.tx, p.seq), '{}') AS company_ids
      FROM inserted i JOIN picked p ON p.endpoint_id = i.endpoint_id AND p.event_id = i.event_id`,

  /** What an attempt sends: the delivery's endpoint (with its live secrets) and its event. */
  load: `
    SELECT d.status, d.event_id, e.id AS endpoint_id, e.company_id, e.url, e.enabled,
           e.secret_encrypted,
           CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_encrypted END
             AS previous_secret_encrypted,
           ev.type, ev.occurred_at, ev.data::text AS data
      FROM webhook_delivery d
      JOIN webhook_endpoint e ON e.id = d.endpoint_id
      LEFT JOIN event ev ON ev.id = d.event_id
     WHERE d.id = $1`,

  /**
   * The attempts that just ended ($1 ids, $2 statuses, $3 response statuses, $4 durations,
   * $5 errors, $6 next attempts), at $7: recorded on their deliveries (a delivery cancelled
   * meanwhile stays so, unless the attempt delivered it); an endpoint's first failure after a
   * success starts its failing streak, a success ends it. Returns the endpoints whose streak
   * is at least $8 ms old by now.
   */
  record: `
    WITH attempt AS (
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[],
                           $6::timestamptz[])
        AS a(id, status, response_status, duration_ms, error, next_attempt_at)),
    recorded AS (
      UPDATE webhook_delivery d
         SET attempts = d.attempts + 1, status = a.status, response_status = a.response_status,
             duration_ms = a.duration_ms, error = a.error, next_attempt_at = a.next_attempt_at,
             delivered_at = CASE WHEN a.status = 'delivered' THEN $7::timestamptz END,
             updated_at = now()
        FROM attempt a
       WHERE d.id = a.id AND (d.status = 'pending' OR a.status = 'delivered')
      RETURNING d.endpoint_id, a.status),
    outcome AS (
      SELECT endpoint_id, bool_or(status = 'delivered') AS succeeded FROM recorded
       GROUP BY endpoint_id),
    -- Locked in id order: settlements of several processes never wait on each other in a cycle.
    changed AS (
      SELECT e.id, o.succeeded FROM webhook_endpoint e JOIN outcome o ON o.endpoint_id = e.id
       WHERE CASE WHEN o.succeeded THEN e.failing_since IS NOT NULL
                  ELSE e.failing_since IS NULL END
       ORDER BY e.id
         FOR UPDATE OF e),
    streaks AS (
      UPDATE webhook_endpoint e
         SET failing_since = CASE WHEN c.succeeded THEN NULL ELSE $7::timestamptz END
        FROM changed c WHERE e.id = c.id)
    SELECT e.id FROM outcome o JOIN webhook_endpoint e ON e.id = o.endpoint_id
     WHERE NOT o.succeeded AND e.enabled
       AND e.failing_since <= $7::timestamptz - $8 * interval '1 millisecond'`,

  /**
   * Endpoints disabled ($1, the reason $2): their waiting deliveries are cancelled. Returns
   * those that were enabled.
   */
  disable: `
    WITH disabled AS (
      UPDATE webhook_endpoint
         SET enabled = false, disabled_reason = $2, failing_since = NULL, updated_at = now()
       WHERE id = ANY ($1::uuid[]) AND enabled
      RETURNING ${ENDPOINT_COLUMNS}),
    cancelled AS (
      UPDATE webhook_delivery d SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
        FROM disabled WHERE d.endpoint_id = disabled.id AND d.status = 'pending')
    SELECT * FROM disabled`,

  /** One delivery, made now (a test event, say). */
  insert: `
    INSERT INTO webhook_delivery (endpoint_id, event_id, event_type) VALUES ($1, $2, $3)
    RETURNING ${DELIVERY_COLUMNS}`,

  /** A finished delivery waits again, for a re-send; undefined when it is still waiting. */
  reopen: `
    UPDATE webhook_delivery
       SET status = 'pending', next_attempt_at = now(), updated_at = now()
     WHERE id = $1 AND endpoint_id = $2 AND status <> 'pending'
    RETURNING ${DELIVERY_COLUMNS}`,
} as const;

/** One ended attempt, as `record` writes it. */
export interface AttemptRecord {
  deliveryId: string;
  status: DeliveryStatus;
  responseStatus: number | null;
  durationMs: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

/** What an attempt needs to send a delivery; `type` null when the event is gone (retention). */
export interface DeliveryTarget extends QueryResultRow {
  status: DeliveryStatus;
  event_id: string;
  endpoint_id: string;
  company_id: string;
  url: string;
  enabled: boolean;
  secret_encrypted: Buffer;
  previous_secret_encrypted: Buffer | null;
  type: string | null;
  occurred_at: Date | null;
  /** The event's data as JSON text, spliced into the body as stored. */
  data: string | null;
}

/** Deliveries made by one fan-out round. */
export interface FannedOut {
  /** Whether endpoints or events were left for another round. */
  more: boolean;
  deliveries: { id: string; endpointId: string; companyId: string }[];
}

@Injectable()
export class WebhookDeliveries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One fan-out round (`SQL.fanOut`) in the caller's transaction. */
  async fanOut(tx: EntityManager, endpoints: number, eventsEach: number): Promise<FannedOut> {
    const [row] = await sqlRows<{
      endpoints: number;
      most: number;
      ids: string[];
      endpoint_ids: string[];
      company_ids: string[];
    }>(tx, SQL.fanOut, [endpoints, eventsEach]);
    return {
      more: row.endpoints === endpoints || row.most === eventsEach,
      deliveries: row.ids.map((id, i) => ({
        id,
        endpointId: row.endpoint_ids[i],
        companyId: row.company_ids[i],
      })),
    };
  }

  /** Once per attempt: a prepared statement on the pool. */
  async load(deliveryId: string): Promise<DeliveryTarget | undefined> {
    const rows = await preparedRows<DeliveryTarget>(
      this.dataSource,
      'webhook_delivery_load',
      SQL.load,
      [deliveryId],
    );
    return rows[0];
  }

  /** Records ended attempts; returns the endpoints failing for at least `disableAfterMs`. */
  async record(
    tx: EntityManager,
    attempts: AttemptRecord[],
    now: Date,
    disableAfterMs: number,
  ): Promise<string[]> {
    const rows = await sqlRows<{ id: string }>(tx, SQL.record, [
      attempts.map((a) => a.deliveryId),
      attempts.map((a) => a.status),
      attempts.map((a) => a.responseStatus),
      attempts.map((a) => a.durationMs),
      attempts.map((a) => a.error),
      attempts.map((a) => a.nextAttemptAt),
      now,
      disableAfterMs,
    ]);
    return rows.map((row) => row.id);
  }

  async disable(tx: EntityManager, endpointIds: string[], reason: string): Promise<EndpointRow[]> {
    return sqlRows<EndpointRow>(tx, SQL.disable, [endpointIds, reason]);
  }

  async insert(
    db: Db,
    delivery: { endpointId: string; eventId: string; eventType: string },
  ): Promise<DeliveryRow> {
    const [row] = await sqlRows<DeliveryRow>(db, SQL.insert, [
      delivery.endpointId,
      delivery.eventId,
      delivery.eventType,
    ]);
    return row;
  }

  async reopen(db: Db, endpointId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
    return (await sqlRows<DeliveryRow>(db, SQL.reopen, [deliveryId, endpointId]))[0];
  }

  async get(endpointId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
    const sql = `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery WHERE id = $1 AND endpoint_id = $2`;
    return (await sqlRows<DeliveryRow>(this.dataSource, sql, [deliveryId, endpointId]))[0];
  }

  /** An endpoint's deliveries, newest first; `cursor` is the last one of the previous page. */
  async list(
    endpointId: string,
    filter: { status?: DeliveryStatus; limit: number; cursor?: string },
  ): Promise<DeliveryRow[]> {
    const params: unknown[] = [endpointId, filter.limit];
    const where = ['endpoint_id = $1'];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.cursor) {
      const id = params.push(filter.cursor);
      where.push(
        `(created_at, id) < (SELECT created_at, id FROM webhook_delivery
                              WHERE id = $${id} AND endpoint_id = $1)`,
      );
    }
    return sqlRows<DeliveryRow>(
      this.dataSource,
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
  }
}
