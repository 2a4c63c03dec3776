import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { EventLog } from '../src/events/event-log.js';
import type { NewEvent } from '../src/events/event-types.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { WebhookClock } from '../src/webhooks/webhook-clock.js';
import { DISABLE_AFTER_MS } from '../src/webhooks/webhook-delivery.handler.js';
import { WebhookFanout } from '../src/webhooks/webhook-fanout.js';
import { type ReceivedDelivery, WebhookReceiver } from './fakes/webhook-receiver.js';
import { capturedLogger } from './support/log-capture.js';
import { eventually } from './support/service-process.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * Webhook endpoints and signed deliveries against a local receiver. The retry schedule is
 * tiny (tens of milliseconds) and the 5-day rule runs on an injectable clock: no test waits
 * longer than what it configures.
 */
const SCHEDULE = [0.03, 0.06];
let t: TestApp;
let acme: TestCompany;
let globex: TestCompany;
let receiver: WebhookReceiver;
let origin: string;
let worker: QueueWorker;
const logs = capturedLogger('debug');
/** Every secret any answer showed, to look for in later answers and in the logs. */
const secrets: string[] = [];

interface Endpoint {
  id: string;
  secret: string;
}

beforeAll(async () => {
  receiver = new WebhookReceiver();
  origin = await receiver.start();
  t = await startTestApp(
    {
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: SCHEDULE.join(','),
      WEBHOOK_TIMEOUT_MS: '500',
      LOG_LEVEL: 'debug',
    },
    undefined,
    logs.log,
  );
  acme = await createCompany(t, 'Acme');
  globex = await createCompany(t, 'Globex');
  worker = t.app.get(QueueWorker);
});

afterAll(async () => {
  await t?.close();
  await receiver?.stop();
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.answer = () => ({ status: 200 });
});

// Each test starts without endpoints: deleting one cancels its waiting deliveries too.
afterEach(async () => {
  for (const company of [acme, globex]) {
    const res = await t.http().get('/api/webhooks').set(bearer(company.adminKey)).expect(200);
    for (const { id } of (res.body as { items: { id: string }[] }).items) {
      await t.http().delete(`/api/webhooks/${id}`).set(bearer(company.adminKey)).expect(204);
    }
  }
});

async function createEndpoint(
  company: TestCompany,
  body: Record<string, unknown> = {},
): Promise<Endpoint> {
  // A new endpoint starts after the events visible now: wait until every event written so
  // far (by earlier tests, or API calls that write events) is, so that it gets none of them.
  await eventually(
    async () => {
      const [row] = await t.db.query<{ pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM event
                         WHERE tx >= pg_snapshot_xmin(pg_current_snapshot())) AS pending`,
      );
      return !row.pending;
    },
    60_000,
    'earlier events to be visible',
  );
  const res = await t
    .http()
    .post('/api/webhooks')
    .set(bearer(company.adminKey))
    .send({ url: `${origin}/hooks/${secrets.length}`, ...body })
    .expect(201);
  const created = res.body as Endpoint;
  secrets.push(created.secret);
  return created;
}

/** Appends events as a change would, in a transaction of their own. */
async function append(...events: NewEvent[]): Promise<void> {
  const log = t.app.get(EventLog);
  await t.app.get(DataSource).transaction((tx) => log.append(tx, events));
}

const testEvent = (company: TestCompany, n: number): NewEvent => ({
  companyId: company.id,
  connectionId: null,
  type: 'webhook.test',
  data: { webhookId: `n${n}` },
});

const keyEvent = (company: TestCompany, name: string): NewEvent => ({
  companyId: company.id,
  connectionId: null,
  type: 'api_key.created',
  data: {
    id: '00000000-0000-4000-8000-000000000001',
    name,
    role: 'viewer',
    prefix: 'dsk_abcd',
    lastUsedAt: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
  } as never,
});

/**
 * Runs the queue (fan-out included) until `done` holds; waits only for due retries, and for
 * events to become visible (a transaction open anywhere on the server holds them back).
 */
async function deliverUntil(
  done: () => Promise<boolean> | boolean,
  what = 'deliveries',
  by: QueueWorker = worker,
) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await by.drain();
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`${what} not done within 60 s`);
    await sleep(10);
  }
}

async function deliveriesOf(company: TestCompany, endpoint: Endpoint) {
  const res = await t
    .http()
    .get(`/api/webhooks/${endpoint.id}/deliveries`)
    .set(bearer(company.adminKey))
    .expect(200);
  return (res.body as { items: Record<string, unknown>[] }).items;
}

const verify = (secret: string, delivery: ReceivedDelivery) =>
  new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);

describe('endpoints', () => {
  it('shows the secret once, and never again', async () => {
    const res = await t
      .http()
      .post('/api/webhooks')
      .set(bearer(acme.adminKey))
      .send({ url: `${origin}/once`, description: 'CRM', eventTypes: ['employee.created'] })
      .expect(201);
    const created = res.body as Endpoint & Record<string, unknown>;
    secrets.push(created.secret);
    expect(created).toMatchObject({
      url: `${origin}/once`,
      eventTypes: ['employee.created'],
      enabled: true,
      description: 'CRM',
      disabledReason: null,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const one = await t.http().get(`/api/webhooks/${created.id}`).set(bearer(acme.adminKey));
    const list = await t.http().get('/api/webhooks').set(bearer(acme.adminKey)).expect(200);
    const patched = await t
      .http()
      .patch(`/api/webhooks/${created.id}`)
      .set(bearer(acme.adminKey))
      .send({ eventTypes: null, description: null })
      .expect(200);
    for (const answer of [one.text, list.text, patched.text]) {
      expect(answer).not.toContain('whsec_');
      expect(answer).not.toContain('secret');
    }
    expect(patched.body).toMatchObject({ description: null });
    expect((patched.body as { eventTypes: string[] }).eventTypes).toContain('webhook.disabled');
    const [row] = await t.db.query<{ secret_encrypted: Buffer }>(
      `SELECT secret_encrypted FROM webhook_endpoint WHERE id = $1`,
      [created.id],
    );
    expect(row.secret_encrypted.toString('latin1')).not.toContain(created.secret.slice(6));
  });

  it.each([
    [{ url: 'ftp://example.com/hook' }, 'url'],
    [{ url: 'https://169.254.169.254/latest' }, 'url'],
    [{ url: 'http://metadata.google.internal/' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://example.com', eventTypes: ['employee.exploded'] }, 'eventTypes'],
    [{ url: 'https://example.com', eventTypes: [] }, 'eventTypes'],
    [{ url: 'https://example.com', eventTypes: 'employee.created' }, 'eventTypes'],
    [{ url: 'https://example.com', eventTypes: ['group.created', 'group.created'] }, 'eventTypes'],
    [{ url: 'https://example.com', secret: 'whsec_mine' }, 'secret'],
    [{ url: 'https://example.com', enabled: 'yes' }, 'enabled'],
    [{}, 'url'],
  ])('refuses %j (400 naming %s), writing nothing', async (body, field) => {
    const res = await t
      .http()
      .post('/api/webhooks')
      .set(bearer(globex.adminKey))
      .send(body)
      .expect(400);
    expect((res.body as { fields: { field: string }[] }).fields.map((f) => f.field)).toContain(
      field,
    );
    const list = await t.http().get('/api/webhooks').set(bearer(globex.adminKey)).expect(200);
    expect(list.body).toEqual({ items: [] });
  });

  it("answers 404 for another company's endpoints and deliveries, 403 to a viewer's writes", async () => {
    const endpoint = await createEndpoint(acme);
    await append(testEvent(acme, 1), keyEvent(acme, 'someone'));
    await deliverUntil(() => receiver.received.length === 1);
    const [delivery] = await deliveriesOf(acme, endpoint);
    const base = `/api/webhooks/${endpoint.id}`;
    const asGlobex = bearer(globex.adminKey);
    await t.http().get(base).set(asGlobex).expect(404);
    await t.http().patch(base).set(asGlobex).send({ enabled: false }).expect(404);
    await t.http().delete(base).set(asGlobex).expect(404);
    await t.http().post(`${base}/rotate-secret`).set(asGlobex).expect(404);
    await t.http().post(`${base}/test`).set(asGlobex).expect(404);
    await t.http().get(`${base}/deliveries`).set(asGlobex).expect(404);
    await t
      .http()
      .post(`${base}/deliveries/${String(delivery.id)}/retry`)
      .set(asGlobex)
      .expect(404);

    const viewer = await createKey(t, acme.adminKey, 'viewer');
    const asViewer = bearer(viewer.key);
    await t.http().get(base).set(asViewer).expect(200);
    await t.http().get(`${base}/deliveries`).set(asViewer).expect(200);
    await t.http().post('/api/webhooks').set(asViewer).send({ url: origin }).expect(403);
    await t.http().patch(base).set(asViewer).send({ enabled: false }).expect(403);
    await t.http().post(`${base}/rotate-secret`).set(asViewer).expect(403);
    await t.http().post(`${base}/test`).set(asViewer).expect(403);
    await t.http().delete(base).set(asViewer).expect(403);
    await t.http().delete(base).set(bearer(acme.adminKey)).expect(204);
    await t.http().get(base).set(bearer(acme.adminKey)).expect(404);
  });
});

describe('deliveries', () => {
  it('signs each event per Standard Webhooks; the library verifies it as a receiver would', async () => {
    const endpoint = await createEndpoint(acme, { eventTypes: ['api_key.created'] });
    await append(keyEvent(acme, 'ada'), testEvent(acme, 2), keyEvent(globex, 'not acme'));
    await deliverUntil(() => receiver.received.length >= 1);
    await worker.drain();
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got.headers['content-type']).toBe('application/json');
    const body = verify(endpoint.secret, got) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'api_key.created',
      data: { name: 'ada', role: 'viewer' },
    });
    expect(Object.keys(body)).toEqual(['id', 'type', 'timestamp', 'data']);
    expect(got.headers['webhook-id']).toBe(body.id);
    const [event] = await t.db.query<{ occurred_at: Date }>(
      `SELECT occurred_at FROM event WHERE id = $1`,
      [body.id],
    );
    expect(body.timestamp).toBe(event.occurred_at.toISOString());
    expect(() => verify(secrets[0], got)).toThrow(/signature/);

    const [delivery] = await deliveriesOf(acme, endpoint);
    expect(delivery).toMatchObject({
      eventId: body.id,
      eventType: 'api_key.created',
      status: 'delivered',
      attempts: 1,
      responseStatus: 200,
      error: null,
      nextAttemptAt: null,
    });
    expect(delivery.deliveredAt).toEqual(expect.any(String));
  });

  it('retries on the configured schedule, then fails for good; a re-send delivers it', async () => {
    const endpoint = await createEndpoint(acme);
    receiver.answer = () => ({ status: 500 });
    await append(keyEvent(acme, 'retried'));
    await deliverUntil(async () => (await deliveriesOf(acme, endpoint))[0]?.status === 'failed');
    // One attempt more than the schedule has waits, each wait at least its entry.
    expect(receiver.received).toHaveLength(SCHEDULE.length + 1);
    const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i].at);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(SCHEDULE[i] * 1000 - 5));
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const [failed] = await deliveriesOf(acme, endpoint);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 3,
      responseStatus: 500,
      error: 'the endpoint answered 500',
      nextAttemptAt: null,
    });

    receiver.answer = () => ({ status: 204 });
    const retry = `/api/webhooks/${endpoint.id}/deliveries/${String(failed.id)}/retry`;
    const res = await t.http().post(retry).set(bearer(acme.adminKey)).expect(202);
    expect(res.body).toMatchObject({ id: failed.id, status: 'pending' });
    await t.http().post(retry).set(bearer(acme.adminKey)).expect(409);
    await deliverUntil(async () => (await deliveriesOf(acme, endpoint))[0]?.status === 'delivered');
    expect((await deliveriesOf(acme, endpoint))[0]).toMatchObject({
      attempts: 4,
      responseStatus: 204,
    });
    const other = '00000000-0000-4000-8000-000000000000';
    await t
      .http()
      .post(`/api/webhooks/${endpoint.id}/deliveries/${other}/retry`)
      .set(bearer(acme.adminKey))
      .expect(404);
  });

  it('counts no answer within WEBHOOK_TIMEOUT_MS as a failed attempt', async () => {
    const endpoint = await createEndpoint(acme);
    // The first answer comes after the 500 ms timeout, the next one at once.
    receiver.answer = () => ({ status: 200, delayMs: receiver.received.length === 1 ? 800 : 0 });
    await append(keyEvent(acme, 'slow answer'));
    await deliverUntil(async () => (await deliveriesOf(acme, endpoint))[0]?.status === 'delivered');
    expect(receiver.received).toHaveLength(2);
    const [delivery] = await deliveriesOf(acme, endpoint);
    expect(delivery).toMatchObject({ attempts: 2, responseStatus: 200, error: null });
    expect(logs.text()).toContain('no answer within 500 ms');
  });

  it('waits as long as Retry-After says on a 429', async () => {
    const endpoint = await createEndpoint(acme);
    receiver.answer = () =>
      receiver.received.length === 1
        ? { status: 429, headers: { 'retry-after': '1' } }
        : { status: 200 };
    await append(keyEvent(acme, 'throttled'));
    await deliverUntil(() => receiver.received.length === 1);
    const [waiting] = await deliveriesOf(acme, endpoint);
    expect(waiting).toMatchObject({ status: 'pending', responseStatus: 429, attempts: 1 });
    const wait = Date.parse(String(waiting.nextAttemptAt)) - receiver.received[0].at;
    expect(wait).toBeGreaterThanOrEqual(900);
    await deliverUntil(async () => (await deliveriesOf(acme, endpoint))[0]?.status === 'delivered');
  });

  it('keeps to WEBHOOK_ENDPOINT_CONCURRENCY requests at once per endpoint', async () => {
    await createEndpoint(globex);
    receiver.mostInFlight = 0;
    receiver.answer = () => ({ status: 200, delayMs: 20 });
    await append(...Array.from({ length: 30 }, (_, i) => keyEvent(globex, `k${i}`)));
    await deliverUntil(() => receiver.received.length === 30);
    expect(receiver.mostInFlight).toBeLessThanOrEqual(10);
    expect(receiver.mostInFlight).toBeGreaterThan(1);
    // In the event log's order, as far as concurrent requests allow.
    const names = receiver.received.map(
      (r) => (JSON.parse(r.body) as { data: { name: string } }).data.name,
    );
    // None arrives more than the concurrency ahead of its place in the log.
    names.forEach((name, arrival) => expect(Number(name.slice(1))).toBeLessThan(arrival + 10));
  });

  it('never makes two deliveries of one event for one endpoint, however many fan out', async () => {
    const endpoint = await createEndpoint(globex);
    await append(...Array.from({ length: 50 }, (_, i) => keyEvent(globex, `f${i}`)));
    const fanout = t.app.get(WebhookFanout);
    let made = 0;
    // Three fan-outs at once, until the events are visible (see deliverUntil).
    await eventually(
      async () => {
        const rounds = await Promise.all([fanout.run(), fanout.run(), fanout.run()]);
        made += rounds.reduce((a, b) => a + b, 0);
        return made > 0;
      },
      60_000,
      'a fan-out',
    );
    expect(made).toBe(50);
    const [{ n, jobs }] = await t.db.query<{ n: number; jobs: number }>(
      `SELECT count(DISTINCT d.event_id)::int AS n, count(j.id)::int AS jobs
         FROM webhook_delivery d JOIN job j ON j.payload->>'deliveryId' = d.id::text
        WHERE d.endpoint_id = $1`,
      [endpoint.id],
    );
    expect({ n, jobs }).toEqual({ n: 50, jobs: 50 });
  });
});

describe('the endpoint lifecycle', () => {
  it('sends a webhook.test event to the endpoint alone', async () => {
    const endpoint = await createEndpoint(acme);
    await createEndpoint(acme); // a bystander, which gets nothing
    const res = await t
      .http()
      .post(`/api/webhooks/${endpoint.id}/test`)
      .set(bearer(acme.adminKey))
      .expect(202);
    await deliverUntil(() => receiver.received.length >= 1);
    await worker.drain();
    expect(receiver.received).toHaveLength(1);
    expect(verify(endpoint.secret, receiver.received[0])).toMatchObject({
      id: (res.body as { eventId: string }).eventId,
      type: 'webhook.test',
      data: { webhookId: endpoint.id },
    });
  });

  it('signs with both secrets for a while after a rotation', async () => {
    const endpoint = await createEndpoint(acme);
    const res = await t
      .http()
      .post(`/api/webhooks/${endpoint.id}/rotate-secret`)
      .set(bearer(acme.adminKey))
      .expect(200);
    const { secret } = res.body as { secret: string };
    secrets.push(secret);
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);
    await append(keyEvent(acme, 'rotated'));
    await deliverUntil(() => receiver.received.length === 1);
    const [got] = receiver.received;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    verify(secret, got);
    verify(endpoint.secret, got);
    const [row] = await t.db.query<{ hours: number }>(
      `SELECT round(extract(epoch FROM previous_secret_expires_at - now()) / 3600)::int AS hours
         FROM webhook_endpoint WHERE id = $1`,
      [endpoint.id],
    );
    expect(row.hours).toBe(24);
  });

  it('disables an endpoint that answers 410 Gone at once, and says so in an event', async () => {
    const gone = await createEndpoint(acme);
    const watcher = await createEndpoint(acme, { eventTypes: ['webhook.disabled'] });
    receiver.answer = (r) =>
      r.body.includes('"webhook.disabled"') ? { status: 200 } : { status: 410 };
    await append(keyEvent(acme, 'one'), keyEvent(acme, 'two'));
    await deliverUntil(async () => {
      const res = await t.http().get(`/api/webhooks/${gone.id}`).set(bearer(acme.adminKey));
      return (res.body as { enabled: boolean }).enabled === false;
    });
    await deliverUntil(() => receiver.received.some((r) => r.body.includes('webhook.disabled')));
    const res = await t.http().get(`/api/webhooks/${gone.id}`).set(bearer(acme.adminKey));
    expect(res.body).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
    });
    // The second was cancelled, unless both were in flight when the first came back.
    const statuses = (await deliveriesOf(acme, gone)).map((d) => d.status);
    expect(statuses).toContain('failed');
    expect(statuses.every((status) => status === 'failed' || status === 'cancelled')).toBe(true);
    const [{ n }] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM event WHERE type = 'webhook.disabled' AND data->>'id' = $1`,
      [gone.id],
    );
    expect(n).toBe(1);
    const notice = receiver.received.find((r) => r.body.includes('webhook.disabled'))!;
    expect(verify(watcher.secret, notice)).toMatchObject({
      type: 'webhook.disabled',
      data: { id: gone.id, enabled: false },
    });
  });

  it('disables an endpoint that has failed everything for 5 days', async () => {
    const endpoint = await createEndpoint(globex);
    receiver.answer = () => ({ status: 503 });
    await append(keyEvent(globex, 'a'));
    await deliverUntil(async () => (await deliveriesOf(globex, endpoint))[0]?.status === 'failed');
    const clock = t.app.get(WebhookClock);
    const later = new Date(Date.now() + DISABLE_AFTER_MS + 60_000);
    const spy = jest.spyOn(clock, 'now').mockReturnValue(later);
    try {
      await append(keyEvent(globex, 'b'));
      await deliverUntil(async () => {
        const res = await t.http().get(`/api/webhooks/${endpoint.id}`).set(bearer(globex.adminKey));
        return (res.body as { enabled: boolean }).enabled === false;
      });
    } finally {
      spy.mockRestore();
    }
    const res = await t.http().get(`/api/webhooks/${endpoint.id}`).set(bearer(globex.adminKey));
    expect(res.body).toMatchObject({ disabledReason: 'every delivery failed for 5 days' });
    const [event] = await t.db.query<{ data: { id: string } }>(
      `SELECT data FROM event WHERE company_id = $1 AND type = 'webhook.disabled'`,
      [globex.id],
    );
    expect(event.data.id).toBe(endpoint.id);

    // Enabled again, it starts from the events of then on.
    receiver.received.length = 0;
    receiver.answer = () => ({ status: 200 });
    await t
      .http()
      .patch(`/api/webhooks/${endpoint.id}`)
      .set(bearer(globex.adminKey))
      .send({ enabled: true })
      .expect(200);
    await append(keyEvent(globex, 'c'));
    await deliverUntil(() => receiver.received.length === 1);
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ data: { name: 'c' } });
  });

  it('refuses at delivery time what the network policy refuses', async () => {
    const endpoint = await createEndpoint(globex);
    const strict = await startTestApp(
      { DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'false', WEBHOOK_RETRY_SCHEDULE: '0.01' },
      t.db,
    );
    try {
      await append(keyEvent(globex, 'policy'));
      await deliverUntil(
        async () => (await deliveriesOf(globex, endpoint)).length > 0,
        'the refused delivery',
        strict.app.get(QueueWorker),
      );
      const [delivery] = await deliveriesOf(globex, endpoint);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 1, responseStatus: null });
      expect(String(delivery.error)).toMatch(/must use https/);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});

describe('secrets', () => {
  it('are in no log line', () => {
    expect(secrets.length).toBeGreaterThan(5);
    const text = logs.text();
    expect(text).toContain('webhook');
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(6));
    }
  });
});
