import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource, QueryRunner } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { EventLog, LOG_START } from '../src/events/event-log.js';
import type { NewEvent } from '../src/events/event-types.js';
import { eventually } from './support/service-process.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * The log's ordering guarantee with real concurrent transactions (two writers holding
 * transactions open, a reader polling GET /api/events between their steps): a reader never
 * sees an event while an older transaction that may still write one before it is open, and
 * a cursor never skips.
 */
let t: TestApp;
let log: EventLog;
let dataSource: DataSource;
let acme: TestCompany;

beforeAll(async () => {
  t = await startTestApp();
  log = t.app.get(EventLog);
  dataSource = t.app.get<DataSource>(getDataSourceToken());
  acme = await createCompany(t);
});

afterAll(async () => {
  await t.close();
});

function testEvent(label: string): NewEvent {
  return {
    companyId: acme.id,
    connectionId: null,
    type: 'webhook.test',
    data: { webhookId: label },
  };
}

async function openWriter(): Promise<QueryRunner> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  return runner;
}

/** A reader polling GET /api/events from a cursor: what it sees, in order. */
class Reader {
  seen: string[] = [];
  private after?: string;

  async poll(): Promise<string[]> {
    const res = await t
      .http()
      .get('/api/events')
      .query({ types: 'webhook.test', ...(this.after ? { after: this.after } : {}) })
      .set(bearer(acme.adminKey))
      .expect(200);
    const page = res.body as { items: { data: { webhookId: string } }[]; nextCursor: string };
    this.after = page.nextCursor;
    const labels = page.items.map((e) => e.data.webhookId);
    this.seen.push(...labels);
    return labels;
  }
}

/** Everything the company has, read from the start. */
async function everything(): Promise<string[]> {
  const { events } = await log.read(LOG_START, 1000, {
    companyId: acme.id,
    types: ['webhook.test'],
  });
  return events.map((e) => e.data.webhookId as string);
}

describe('the event log', () => {
  it('hides a later commit until an older open transaction ends, and never skips', async () => {
    const reader = new Reader();
    await reader.poll();
    // A takes its transaction id (and the first sequence number) first; B writes after it
    // and commits first.
    const a = await openWriter();
    await log.append(a, testEvent('a1'));
    const b = await openWriter();
    await log.append(b, testEvent('b1'));
    await b.commitTransaction();
    await b.release();
    // B is committed, but A may still add events that sort before B's: B stays hidden.
    expect(await reader.poll()).toEqual([]);
    await log.append(a, testEvent('a2'));
    await a.commitTransaction();
    await a.release();
    await eventually(async () => (await reader.poll(), reader.seen.length === 3));
    expect(reader.seen).toEqual(['a1', 'a2', 'b1']);
    expect(await everything()).toEqual(reader.seen);
  });

  it('orders by transaction, not by sequence: a later-sequenced older transaction first', async () => {
    const reader = new Reader();
    await reader.poll();
    reader.seen = [];
    // C takes its transaction id first (an earlier write) but appends its event last, so its
    // event has the higher sequence number.
    const c = await openWriter();
    await c.query(`SELECT pg_current_xact_id()`);
    const d = await openWriter();
    await log.append(d, testEvent('d1'));
    await log.append(c, testEvent('c1'));
    await d.commitTransaction();
    await d.release();
    expect(await reader.poll()).toEqual([]);
    await c.commitTransaction();
    await c.release();
    await eventually(async () => (await reader.poll(), reader.seen.length === 2));
    expect(reader.seen).toEqual(['c1', 'd1']);
  });

  it('drops the events of a rolled-back transaction and lets the later ones through', async () => {
    const reader = new Reader();
    await reader.poll();
    reader.seen = [];
    const e = await openWriter();
    await log.append(e, testEvent('e1'));
    const f = await openWriter();
    await log.append(f, testEvent('f1'));
    await f.commitTransaction();
    await f.release();
    expect(await reader.poll()).toEqual([]);
    await e.rollbackTransaction();
    await e.release();
    await eventually(async () => (await reader.poll(), reader.seen.length === 1));
    expect(reader.seen).toEqual(['f1']);
  });

  it('pages oldest first and resumes exactly after the cursor', async () => {
    const writer = await openWriter();
    await log.append(
      writer,
      ['p1', 'p2', 'p3', 'p4', 'p5'].map((label) => testEvent(label)),
    );
    await writer.commitTransaction();
    await writer.release();
    let position = LOG_START;
    const paged: string[] = [];
    await eventually(async () => {
      const { events, next } = await log.read(position, 2, {
        companyId: acme.id,
        types: ['webhook.test'],
      });
      position = next;
      paged.push(...events.map((ev) => ev.data.webhookId as string));
      return paged.includes('p5');
    });
    expect(paged).toEqual(await everything());
    // Nothing new: the cursor stays where it is.
    const again = await log.read(position, 2, { companyId: acme.id });
    expect(again).toEqual({ events: [], next: position });
  });
});
