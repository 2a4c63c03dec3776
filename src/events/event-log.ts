import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CursorCodec } from '../common/paging.js';
import { sqlRows } from '../database/sql.js';
import type { EventType, EventView, NewEvent } from './event-types.js';

/**
 * Where a reader stands in the log: after the event written by transaction `tx` with
 * sequence number `seq` (decimal strings: an xid8 and a bigint). Events are read in
 * (tx, seq) order; see `VISIBLE`.
 */
export type EventPosition = { tx: string; seq: string };

/** Before every event. */
export const LOG_START: EventPosition = { tx: '0', seq: '0' };

const DECIMAL = /^(0|[1-9]\d{0,18})$/;
/** `after` of GET /api/events: an opaque, checked encoding of a position. */
export const EVENT_CURSOR = new CursorCodec<EventPosition>({
  tx: (tx) => DECIMAL.test(tx),
  seq: (seq) => DECIMAL.test(seq) && BigInt(seq) <= 2n ** 63n - 1n,
});

/** Anything that runs SQL in the caller's transaction: an EntityManager or a QueryRunner. */
export interface SqlClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Which events a reader wants: one company's, optionally narrowed. */
export interface EventFilter {
  companyId: string;
  types?: readonly EventType[];
  connectionId?: string;
}

export interface StoredEvent extends EventView {
  position: EventPosition;
}

export interface EventBatch {
  /** Oldest first. */
  events: StoredEvent[];
  /** Where to read from next time: never behind `after`, never past an unread event. */
  next: EventPosition;
}

/**
 * The visibility rule. Sequence numbers are handed out when events are written, but the
 * transactions writing them commit in any order: a reader shown seq 7 while seq 5 was still
 * uncommitted would move its cursor past 5 for ever. So a reader only sees events of
 * transactions older than every transaction still open (xmin of its snapshot: everything
 * below it has committed or rolled back), in (tx, seq) order. Whatever becomes visible later
 * belongs to a transaction at or above that xmin, so it sorts after everything shown.
 */
const VISIBLE = `tx < pg_snapshot_xmin(pg_current_snapshot())`;

/**
 * The event log (the outbox): appends in the caller's transaction, and the one way to read.
 * Set-based writers append from their own statements with `insertEventsFrom`.
 */
@Injectable()
export class EventLog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends events in the transaction `db` runs (an EntityManager of `transaction()` or a
   * QueryRunner), in the order given: they commit or roll back with the change they record.
   */
  async append(db: SqlClient, events: NewEvent | NewEvent[]): Promise<void> {
    const list = Array.isArray(events) ? events : [events];
    if (!list.length) return;
    await db.query(
      `INSERT INTO event (company_id, connection_id, type, data)
       SELECT company_id, connection_id, type, data
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[]) WITH ORDINALITY
              AS e(company_id, connection_id, type, data, n)
        ORDER BY n`,
      [
        list.map((e) => e.companyId),
        list.map((e) => e.connectionId),
        list.map((e) => e.type),
        list.map((e) => JSON.stringify(e.data)),
      ],
    );
  }

  /**
   * Up to `limit` visible events of a company after `after`, oldest first. `next` moves past
   * events the filter left out, so a narrow reader does not scan them again.
   */
  async read(after: EventPosition, limit: number, filter: EventFilter): Promise<EventBatch> {
    const params: unknown[] = [after.tx, after.seq];
    const scope = [VISIBLE, `company_id = $${params.push(filter.companyId)}`];
    const wanted = [...scope, `(tx, seq) > ($1::xid8, $2::bigint)`];
    if (filter.types) wanted.push(`type = ANY($${params.push(filter.types)}::text[])`);
    if (filter.connectionId) wanted.push(`connection_id = $${params.push(filter.connectionId)}`);
    const rows = await sqlRows<EventRow>(
      this.dataSource,
      // One statement, one snapshot: the newest visible event in scope (`horizon`) is only a
      // safe place to move to when the page and it were read from the same snapshot.
      // (Positions are read out as text under other names: ORDER BY tx would sort the text.)
      `(SELECT false AS horizon, id, type, company_id, connection_id, occurred_at, data,
               tx::text AS at_tx, seq::text AS at_seq
          FROM event WHERE ${wanted.join(' AND ')}
         ORDER BY tx, seq LIMIT $${params.push(limit)})
       UNION ALL
       (SELECT true, NULL, NULL, NULL, NULL, NULL, NULL, tx::text AS at_tx, seq::text AS at_seq
          FROM event WHERE ${scope.join(' AND ')}
         ORDER BY tx DESC, seq DESC LIMIT 1)`,
      params,
    );
    const events = rows.filter((row) => !row.horizon).map(toStoredEvent);
    const newest = rows.find((row) => row.horizon);
    const horizon = newest && positionOf(newest);
    const last = events.length ? events[events.length - 1].position : after;
    // A full page may have more after it; a short one is everything visible up to `horizon`.
    const next = events.length < limit && horizon && isAfter(horizon, last) ? horizon : last;
    return { events, next };
  }

  /**
   * Retention: deletes events older than `days`, `batchSize` per statement and at most
   * `maxBatches` statements per call, so a large backlog never holds locks for long.
   */
  async deleteOlderThan(days: number, batchSize = 5000, maxBatches = 20): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const [{ n }] = await sqlRows<{ n: number }>(
        this.dataSource,
        `WITH gone AS (
           DELETE FROM event WHERE id IN (
             SELECT id FROM event WHERE occurred_at < now() - make_interval(days => $1)
              LIMIT $2)
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [days, batchSize],
      );
      deleted += n;
      if (n < batchSize) break;
    }
    return deleted;
  }
}

/**
 * The tail of a set-based writer's statement: inserts one event per row of `source` (a CTE
 * of the same statement with the columns company_id, connection_id, type, data), in the
 * order of `orderBy` if given. Used as a data-modifying CTE, it commits with the change:
 *
 *   WITH changed AS (UPDATE … RETURNING …),
 *        changes AS (SELECT company_id, connection_id, 'x.y' AS type, jsonb_build_object(…) AS data
 *                      FROM changed),
 *        events  AS (${insertEventsFrom('changes')})
 *   SELECT count(*) FROM changed
 */
export function insertEventsFrom(source: string, orderBy?: string): string {
  return `INSERT INTO event (company_id, connection_id, type, data)
          SELECT company_id, connection_id, type, data FROM ${source}${
            orderBy ? ` ORDER BY ${orderBy}` : ''
          }`;
}

interface EventRow {
  horizon: boolean;
  id: string;
  type: EventType;
  company_id: string;
  connection_id: string | null;
  occurred_at: Date;
  data: Record<string, unknown>;
  at_tx: string;
  at_seq: string;
}

function positionOf(row: EventRow): EventPosition {
  return { tx: row.at_tx, seq: row.at_seq };
}

function isAfter(a: EventPosition, b: EventPosition): boolean {
  const [atx, btx] = [BigInt(a.tx), BigInt(b.tx)];
  return atx > btx || (atx === btx && BigInt(a.seq) > BigInt(b.seq));
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    companyId: row.company_id,
    connectionId: row.connection_id,
    occurredAt: row.occurred_at,
    data: row.data,
    position: positionOf(row),
  };
}
