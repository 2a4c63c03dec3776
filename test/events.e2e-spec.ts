import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { Retention } from '../src/scheduler/retention.js';
import { SyncService } from '../src/sync/sync.service.js';
import { FakeOkta, oktaUser } from './fakes/fake-okta.js';
import { expectError } from './support/errors.js';
import { fullCyclesOnly } from './support/full-cycles.js';
import { oktaUser as scimUser, patchOp, scim, scimConnection } from './support/scim.js';
import { eventually } from './support/service-process.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

interface Event {
  id: string;
  type: string;
  companyId: string;
  connectionId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
}
interface EventPage {
  items: Event[];
  nextCursor: string;
}

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;

beforeAll(async () => {
  okta = new FakeOkta({ token: 'any', users: [] });
  await okta.start();
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    PROVIDER_MAX_RETRIES: '0',
    SYNC_TRIGGER_RATE_LIMIT: '0',
  });
  fullCyclesOnly(t, 'okta');
  acme = await createCompany(t, 'Acme');
});

afterAll(async () => {
  await t.close();
  await okta.stop();
});

async function getEvents(as: TestCompany, query: Record<string, string> = {}) {
  const res = await t.http().get('/api/events').query(query).set(bearer(as.adminKey)).expect(200);
  return res.body as EventPage;
}

/**
 * A company's events as an app reads them: polling from a cursor. Events become visible a
 * moment after their commit (once no older transaction is open), hence the polling.
 */
class Feed {
  cursor?: string;
  /** Read past what a caller asked for: the next `take` answers these first. */
  private ahead: Event[] = [];
  constructor(
    private readonly as: TestCompany,
    private readonly query: Record<string, string> = {},
  ) {}

  /** Polls until `count` new events have arrived; returns them. */
  async take(count: number): Promise<Event[]> {
    const got = this.ahead.splice(0);
    await eventually(
      async () => {
        if (got.length >= count) return true;
        const page = await getEvents(this.as, {
          ...this.query,
          ...(this.cursor ? { after: this.cursor } : {}),
        });
        this.cursor = page.nextCursor;
        got.push(...page.items);
        return got.length >= count;
      },
      10_000,
      `${count} new event(s)`,
    );
    this.ahead = got.splice(count);
    return got;
  }

  /** Polls until an event of `type` arrives; returns it and everything before it. */
  async until(type: string | ((event: Event) => boolean)): Promise<Event[]> {
    const wanted = typeof type === 'string' ? (event: Event) => event.type === type : type;
    const got: Event[] = [];
    while (!got.some(wanted)) got.push(...(await this.take(1)));
    return got;
  }

  /**
   * What arrived before a marker written now (an API key, and its `api_key.created`): an
   * exact answer to "did that write an event?", without waiting for nothing to happen.
   */
  async beforeMarker(): Promise<Event[]> {
    const marker = await createKey(t, this.as.adminKey, 'viewer');
    return (await this.until((event) => event.data.id === marker.id)).slice(0, -1);
  }
}

const types = (events: Event[]) => events.map((event) => event.type);

async function employeeItem(as: TestCompany, email: string) {
  const res = await t
    .http()
    .get('/api/employees')
    .query({ email })
    .set(bearer(as.adminKey))
    .expect(200);
  return (res.body as { items: Record<string, unknown>[] }).items[0];
}

async function createOktaConnection(as: TestCompany) {
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(as.adminKey))
    .send({
      name: 'Okta',
      type: 'okta',
      deprovisionThresholdPercent: 100,
      config: { orgUrl: okta.url, apiToken: 'okta-token' },
    })
    .expect(201);
  return res.body as Record<string, unknown> & { id: string };
}

describe('GET /api/events', () => {
  it("starts with the company's first admin key, in the documented shape", async () => {
    const company = await createCompany(t, 'Shape');
    const [event] = await new Feed(company).take(1);
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'api_key.created',
      companyId: company.id,
      connectionId: null,
      occurredAt: expect.stringMatching(/Z$/),
      data: {
        id: company.adminKeyId,
        name: 'initial admin key',
        role: 'admin',
        prefix: expect.any(String),
        lastUsedAt: null,
        createdAt: expect.any(String),
      },
    });
    expect(JSON.stringify(event)).not.toContain(company.adminKey);
  });

  it('keeps nextCursor where it was when nothing is new, so an app can poll for ever', async () => {
    const company = await createCompany(t, 'Poller');
    const feed = new Feed(company);
    await feed.take(1);
    const again = await getEvents(company, { after: feed.cursor! });
    expect(again).toEqual({ items: [], nextCursor: feed.cursor });
    // From the start with a filter that matches nothing: the cursor moves past what it read.
    const none = await getEvents(company, { types: 'webhook.disabled' });
    expect(none.items).toEqual([]);
    expect(typeof none.nextCursor).toBe('string');
    expect((await getEvents(company, { after: none.nextCursor })).items).toEqual([]);
  });

  it("never shows another company's events", async () => {
    const other = await createCompany(t, 'Other');
    const mine = new Feed(acme);
    await createKey(t, acme.adminKey, 'viewer');
    await mine.until('api_key.created');
    const theirs = await new Feed(other).beforeMarker();
    expect(theirs.map((event) => event.companyId)).toEqual([other.id]);
    // Acme's cursor is only a position: with Other's key it reads Other's events.
    const page = await getEvents(other, { after: mine.cursor! });
    expect(page.items.every((event) => event.companyId === other.id)).toBe(true);
  });

  it('pages oldest first with limit, and resumes exactly after the cursor', async () => {
    const company = await createCompany(t, 'Pages');
    for (let i = 0; i < 4; i++) await createKey(t, company.adminKey, 'viewer');
    const all = await new Feed(company).take(5);
    const paged: Event[] = [];
    let after: string | undefined;
    while (paged.length < all.length) {
      const page = await getEvents(company, { limit: '2', ...(after ? { after } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      after = page.nextCursor;
    }
    expect(paged.map((event) => event.id)).toEqual(all.map((event) => event.id));
  });

  it('filters by types and by connection', async () => {
    const company = await createCompany(t, 'Filters');
    const first = await createOktaConnection(company);
    const second = await createOktaConnection(company);
    await createKey(t, company.adminKey, 'viewer');
    const all = await new Feed(company).take(4);
    expect(types(all)).toEqual([
      'api_key.created',
      'connection.created',
      'connection.created',
      'api_key.created',
    ]);
    const keys = await getEvents(company, { types: 'api_key.created,api_key.revoked' });
    expect(keys.items.map((event) => event.id)).toEqual([all[0].id, all[3].id]);
    const ofSecond = await getEvents(company, { connectionId: second.id });
    expect(ofSecond.items.map((event) => event.data.id)).toEqual([second.id]);
    const both = await getEvents(company, { connectionId: first.id, types: 'connection.created' });
    expect(both.items.map((event) => event.data.id)).toEqual([first.id]);
  });

  describe('refuses malformed input with 400 and a clear message', () => {
    const cases: [string, Record<string, string>, string][] = [
      ['a cursor that is not one', { after: 'not a cursor!' }, 'after is invalid'],
      ['a cursor of another list', { after: 'eyJpZCI6IngifQ' }, 'after is invalid'],
      [
        'a cursor with a position out of range',
        { after: Buffer.from('{"tx":"1","seq":"99999999999999999999"}').toString('base64url') },
        'after is invalid',
      ],
      ['an unknown type', { types: 'employee.hired' }, 'types must be a comma-separated list'],
      ['an empty type', { types: 'employee.created,' }, 'types must be a comma-separated list'],
      ['limit 0', { limit: '0' }, 'limit must be an integer between 1 and 1000'],
      ['limit 1001', { limit: '1001' }, 'limit must be an integer between 1 and 1000'],
      ['limit 1e2', { limit: '1e2' }, 'limit must be an integer between 1 and 1000'],
      ['a connectionId that is no UUID', { connectionId: 'okta' }, 'connectionId must be a UUID'],
    ];
    it.each(cases)('%s', async (_name, query, message) => {
      const res = await t.http().get('/api/events').query(query).set(bearer(acme.adminKey));
      expect(expectError(res, 400, { fields: true }).message).toContain(message);
    });

    it('types given twice', async () => {
      const res = await t
        .http()
        .get('/api/events?types=employee.created&types=employee.updated')
        .set(bearer(acme.adminKey));
      expect(expectError(res, 400, { fields: true }).message).toContain('types must be');
    });

    it('no key: 401', async () => {
      await t.http().get('/api/events').expect(401);
    });
  });
});

describe('events of API changes', () => {
  it('API keys: created and revoked, never with the secret', async () => {
    const company = await createCompany(t, 'Keys');
    const feed = new Feed(company);
    await feed.take(1);
    const key = await createKey(t, company.adminKey, 'viewer');
    await t.http().delete(`/api/api-keys/${key.id}`).set(bearer(company.adminKey)).expect(204);
    const [created, revoked] = await feed.take(2);
    expect(created).toMatchObject({
      type: 'api_key.created',
      data: { id: key.id, role: 'viewer' },
    });
    expect(revoked).toMatchObject({
      type: 'api_key.revoked',
      data: { id: key.id, revokedAt: expect.any(String) },
    });
    expect(JSON.stringify([created, revoked])).not.toContain(key.key);
  });

  it('connections: created, updated, deleted with their last state; a no-op PATCH is no event', async () => {
    const company = await createCompany(t, 'Connections');
    const feed = new Feed(company);
    await feed.take(1);
    const created = await createOktaConnection(company);
    const [createdEvent] = await feed.take(1);
    // The routes' nextSyncAt is read at answer time; events carry the connection itself.
    const { nextSyncAt, ...view } = created as typeof created & { nextSyncAt?: string | null };
    expect(nextSyncAt).toBeNull();
    expect(createdEvent).toMatchObject({
      type: 'connection.created',
      connectionId: created.id,
      data: { ...view, config: { orgUrl: okta.url, apiToken: '********' } },
    });
    expect(createdEvent.data).not.toHaveProperty('nextSyncAt');
    const patched = await t
      .http()
      .patch(`/api/directory/${created.id}`)
      .set(bearer(company.adminKey))
      .send({ name: 'Okta (prod)' })
      .expect(200);
    const [updated] = await feed.take(1);
    const patchedView: Record<string, unknown> = { ...(patched.body as object) };
    delete patchedView.nextSyncAt;
    expect(updated).toMatchObject({ type: 'connection.updated', data: patchedView });
    await t
      .http()
      .patch(`/api/directory/${created.id}`)
      .set(bearer(company.adminKey))
      .send({ name: 'Okta (prod)', config: { apiToken: '********' } })
      .expect(200);
    expect(await feed.beforeMarker()).toEqual([]);
    await t.http().delete(`/api/directory/${created.id}`).set(bearer(company.adminKey)).expect(204);
    const [deleted] = await feed.take(1);
    expect(deleted).toMatchObject({
      type: 'connection.deleted',
      connectionId: created.id,
      data: { id: created.id, name: 'Okta (prod)' },
    });
    expect(JSON.stringify(await getEvents(company))).not.toContain('okta-token');
  });
});

describe('events of a pull sync', () => {
  const sync = (company: TestCompany, connectionId: string) =>
    t.app.get(SyncService).syncConnection(company.id, connectionId, new AbortController().signal);

  it('created, updated with changedFields, deactivated, reactivated; none on a no-change re-sync', async () => {
    const company = await createCompany(t, 'Sync');
    const feed = new Feed(company);
    await feed.take(1);
    const connection = await createOktaConnection(company);
    await feed.take(1);

    okta.setUsers([oktaUser(1), oktaUser(2), oktaUser(3)]);
    const firstStats = await sync(company, connection.id);
    const first = await feed.until('connection.sync_succeeded');
    expect(types(first)).toEqual([
      'employee.created',
      'employee.created',
      'employee.created',
      'connection.sync_succeeded',
    ]);
    expect(first[3]).toMatchObject({
      connectionId: connection.id,
      data: { jobId: null, stats: firstStats },
    });
    for (const event of first.slice(0, 3)) {
      expect(event.connectionId).toBe(connection.id);
      expect(event.data).toEqual(await employeeItem(company, event.data.email as string));
    }

    // The same directory again: nothing changed, so only the outcome.
    await sync(company, connection.id);
    expect(types(await feed.until('connection.sync_succeeded'))).toEqual([
      'connection.sync_succeeded',
    ]);

    // User 2 changes title and department, user 3 is suspended, user 1 is gone.
    okta.setUsers([
      oktaUser(2, { profile: { title: 'Manager', department: 'Sales' } }),
      oktaUser(3, { status: 'SUSPENDED' }),
    ]);
    await sync(company, connection.id);
    const second = await feed.until('connection.sync_succeeded');
    const [updated, ...deactivated] = second.slice(0, -1);
    expect(updated).toMatchObject({
      type: 'employee.updated',
      data: { email: 'User2@Acme.example'.toLowerCase(), title: 'Manager' },
    });
    const { changedFields, ...updatedItem } = updated.data;
    expect([...(changedFields as string[])].sort()).toEqual(['department', 'title']);
    expect(updatedItem).toEqual(await employeeItem(company, 'user2@acme.example'));
    expect(types(deactivated)).toEqual(['employee.deactivated', 'employee.deactivated']);
    expect(deactivated.map((event) => event.data.email).sort()).toEqual([
      'user1@acme.example',
      'user3@acme.example',
    ]);
    for (const event of deactivated) {
      expect(event.data).toMatchObject({ active: false, deactivatedAt: expect.any(String) });
      expect(event.data).toEqual(await employeeItem(company, event.data.email as string));
    }

    // User 1 comes back.
    okta.setUsers([
      oktaUser(1),
      oktaUser(2, { profile: { title: 'Manager', department: 'Sales' } }),
    ]);
    await sync(company, connection.id);
    const third = await feed.until('connection.sync_succeeded');
    expect(third.slice(0, -1).map((event) => [event.type, event.data.email])).toEqual([
      ['employee.reactivated', 'user1@acme.example'],
    ]);
    expect(third[0].data).toMatchObject({ active: true, deactivatedAt: null });
  });

  it('connection.sync_succeeded and sync_failed carry the job id, its stats or its error', async () => {
    const company = await createCompany(t, 'Jobs');
    const feed = new Feed(company, { types: 'connection.sync_succeeded,connection.sync_failed' });
    const connection = await createOktaConnection(company);
    okta.setUsers([oktaUser(7)]);
    const worker = t.app.get(QueueWorker);
    const trigger = async () => {
      const res = await t
        .http()
        .post(`/api/directory/${connection.id}/sync`)
        .set(bearer(company.adminKey))
        .send({})
        .expect(202);
      await worker.drain();
      const job = await t
        .http()
        .get(`/api/sync-jobs/${(res.body as { jobId: string }).jobId}`)
        .set(bearer(company.adminKey))
        .expect(200);
      return job.body as { id: string; status: string; stats: unknown; lastError: string | null };
    };
    const succeeded = await trigger();
    expect(succeeded.status).toBe('SUCCEEDED');
    expect(await feed.take(1)).toEqual([
      expect.objectContaining({
        type: 'connection.sync_succeeded',
        connectionId: connection.id,
        data: { jobId: succeeded.id, stats: succeeded.stats },
      }),
    ]);
    okta.faults.push({ status: 401 });
    const failed = await trigger();
    expect(failed.status).toBe('FAILED');
    expect(await feed.take(1)).toEqual([
      expect.objectContaining({
        type: 'connection.sync_failed',
        connectionId: connection.id,
        data: { jobId: failed.id, error: failed.lastError },
      }),
    ]);
  });
});

describe('events of SCIM pushes', () => {
  it('created, updated, deactivated, reactivated; a PUT of the same user is no event', async () => {
    const company = await createCompany(t, 'Scim');
    const setup = await scimConnection(t, company);
    const feed = new Feed(company);
    await feed.take(2);
    const user = scimUser('ada@scim.example', { title: 'Engineer' });
    const created = await scim(t, setup, 'post', '/Users', user).expect(201);
    const id = (created.body as { id: string }).id;
    const [createdEvent] = await feed.take(1);
    expect(createdEvent).toMatchObject({
      type: 'employee.created',
      connectionId: setup.connectionId,
      data: { id, email: 'ada@scim.example', title: 'Engineer', active: true },
    });
    expect(createdEvent.data).toEqual(await employeeItem(company, 'ada@scim.example'));

    await scim(
      t,
      setup,
      'patch',
      `/Users/${id}`,
      patchOp({ op: 'replace', path: 'title', value: 'CTO' }),
    ).expect(200);
    const [updated] = await feed.take(1);
    expect(updated).toMatchObject({
      type: 'employee.updated',
      data: { id, title: 'CTO', changedFields: ['title'] },
    });

    await scim(t, setup, 'put', `/Users/${id}`, { ...user, title: 'CTO' }).expect(200);
    expect(await feed.beforeMarker()).toEqual([]);

    await scim(
      t,
      setup,
      'patch',
      `/Users/${id}`,
      patchOp({ op: 'replace', path: 'active', value: false }),
    ).expect(200);
    await scim(
      t,
      setup,
      'patch',
      `/Users/${id}`,
      patchOp({ op: 'replace', path: 'active', value: true }),
    ).expect(200);
    await scim(t, setup, 'delete', `/Users/${id}`).expect(204);
    expect((await feed.take(3)).map((event) => [event.type, event.data.id])).toEqual([
      ['employee.deactivated', id],
      ['employee.reactivated', id],
      ['employee.deactivated', id],
    ]);
  });
});

describe('retention', () => {
  it('housekeeping deletes events older than EVENT_RETENTION_DAYS (30) and keeps the rest', async () => {
    const company = await createCompany(t, 'Retention');
    for (let i = 0; i < 3; i++) await createKey(t, company.adminKey, 'viewer');
    const [initial, ...recent] = await new Feed(company).take(4);
    await t.db.query(`UPDATE event SET occurred_at = now() - interval '31 days' WHERE id = $1`, [
      initial.id,
    ]);
    await t.db.query(`UPDATE event SET occurred_at = now() - interval '29 days' WHERE id = $1`, [
      recent[0].id,
    ]);
    await t.app.get(Retention).run();
    const kept = await getEvents(company);
    expect(kept.items.map((event) => event.id)).toEqual(recent.map((event) => event.id));
  });
});
