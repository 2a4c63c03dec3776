import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CursorExpiredError,
  ProviderError,
  type ChangeFeed,
  type DirectoryUser,
  type FeedCursor,
  type GroupChanges,
  type UserChanges,
} from '../src/directory/providers/directory-provider.js';
import { ProviderRegistry } from '../src/directory/providers/provider-registry.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { FakeOkta, oktaGroup, oktaUser } from './fakes/fake-okta.js';
import { expectError } from './support/errors.js';
import { activeEmails as activeEmailsOf, runSync } from './support/sync-runs.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * The engine's side of incremental cycles, with a scripted change feed standing in for a
 * provider's (each provider's feed is tested against its own fake's wire format). Full
 * cycles read the fake Okta as usual.
 */

/** What the next incremental cycle reads: pages of users and groups, or a failure. */
interface Script {
  users: UserChanges[];
  groups?: GroupChanges[];
  /** Thrown once, after the first page of users (a provider failing mid-cycle). */
  failAfterFirstPage?: Error;
  /** Thrown before anything is read (the provider refuses the cursor). */
  refuse?: Error;
}

class ScriptedFeed implements ChangeFeed {
  starts = 0;
  readonly cursorsRead: FeedCursor[] = [];
  script: Script = { users: [] };
  private position = 0;

  unsupported(): string | undefined {
    return undefined;
  }

  start(): Promise<FeedCursor> {
    this.starts++;
    return Promise.resolve({ position: String(++this.position) });
  }

  changes(_config: unknown, cursor: FeedCursor) {
    this.cursorsRead.push(cursor);
    const script = this.script;
    const next = { position: String(++this.position) };
    return {
      async *users() {
        await Promise.resolve();
        if (script.refuse) throw script.refuse;
        for (const [i, page] of script.users.entries()) {
          yield page;
          const failure = script.failAfterFirstPage;
          if (i === 0 && failure) {
            script.failAfterFirstPage = undefined;
            throw failure;
          }
        }
      },
      groups() {
        const pages = script.groups ?? [];
        return (async function* () {
          await Promise.resolve();
          yield* pages;
        })();
      },
      next: () => next,
    };
  }
}

/** A user as the Okta provider maps oktaUser(n). */
function user(n: number, overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  const okta = oktaUser(n);
  return {
    externalId: okta.id,
    email: `user${n}@acme.example`,
    firstName: `First${n}`,
    lastName: `Last${n}`,
    department: `Dept${n % 10}`,
    title: 'Engineer',
    active: true,
    ...overrides,
  };
}

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;
let worker: QueueWorker;
let feed: ScriptedFeed;
let provider: { feed?: ChangeFeed };
let ownFeed: ChangeFeed | undefined;

beforeAll(async () => {
  okta = new FakeOkta({ token: 'any', users: [] });
  await okta.start();
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    PROVIDER_MAX_RETRIES: '0',
    SYNC_TRIGGER_RATE_LIMIT: '0',
    SYNC_BACKOFF_BASE_MS: '1',
  });
  worker = t.app.get(QueueWorker);
  provider = t.app.get(ProviderRegistry).get('okta');
  ownFeed = provider.feed;
});
// A company per test: each test's connection holds the same six people.
beforeEach(async () => {
  acme = await createCompany(t, `Acme ${expect.getState().currentTestName}`);
  feed = new ScriptedFeed();
  provider.feed = feed;
});
afterEach(() => {
  provider.feed = ownFeed;
});
afterAll(async () => {
  await t.close();
  await okta.stop();
});

async function createConnection(name: string, groups = false): Promise<string> {
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(acme.adminKey))
    .send({
      name,
      type: 'okta',
      config: { orgUrl: okta.url, apiToken: 't', syncGroups: groups },
    })
    .expect(201);
  return (res.body as { id: string }).id;
}

const run = (id: string, body: object = {}) => runSync(t, worker, acme, id, body);

const activeEmails = (id: string) => activeEmailsOf(t, id);

async function storedCursor(id: string): Promise<{ cursor: FeedCursor; fullSyncAt: Date } | null> {
  const [row] = await t.db.query<{ cursor: FeedCursor; fullSyncAt: Date }>(
    `SELECT cursor, full_sync_at AS "fullSyncAt" FROM sync_cursor WHERE connection_id = $1`,
    [id],
  );
  return row ?? null;
}

/** Six people in the directory; the first (full) cycle reads them all. */
async function syncedConnection(name: string, groups = false): Promise<string> {
  okta.setUsers(Array.from({ length: 6 }, (_, i) => oktaUser(i + 1)));
  okta.setGroups([]);
  const id = await createConnection(name, groups);
  const first = await run(id);
  expect(first.stats).toMatchObject({
    mode: 'full',
    modeReason: expect.stringMatching(/no cursor yet/),
    created: 6,
  });
  expect(await storedCursor(id)).toMatchObject({ cursor: { position: '1' } });
  return id;
}

describe('incremental cycles', () => {
  it('apply what the feed reports and deactivate only whom it reports gone', async () => {
    const id = await syncedConnection('feed');
    // Two of six go: above the default 20 % guard.
    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ deprovisionThresholdPercent: 50 })
      .expect(200);
    // The whole directory now lists nobody: only a full cycle would act on that.
    okta.setUsers([]);
    feed.script = {
      users: [
        { changed: [user(2, { title: 'CTO' }), user(3, { active: false })], removed: [] },
        { changed: [user(7)], removed: [oktaUser(4).id] },
      ],
    };
    const job = await run(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.stats).toMatchObject({
      mode: 'incremental',
      fetched: 3,
      created: 1,
      updated: 1,
      deactivated: 2,
    });
    expect(feed.cursorsRead).toEqual([{ position: '1' }]);
    expect(await activeEmails(id)).toEqual([1, 2, 5, 6, 7].map((n) => `user${n}@acme.example`));
    expect(await storedCursor(id)).toMatchObject({ cursor: { position: '2' } });
    // The same events as a full cycle would write: the batch's, then the deactivations (one
    // statement: among themselves in no particular order).
    const events = await t.db.query<{ type: string; email: string }>(
      `SELECT type, data->>'email' AS email FROM event
        WHERE connection_id = $1 AND type LIKE 'employee.%' AND data->>'email' IN
              ('user2@acme.example', 'user3@acme.example', 'user4@acme.example', 'user7@acme.example')
        ORDER BY seq`,
      [id],
    );
    const last = events.slice(-4);
    expect(last.slice(0, 2)).toEqual([
      { type: 'employee.updated', email: 'user2@acme.example' },
      { type: 'employee.created', email: 'user7@acme.example' },
    ]);
    expect(last.slice(2).sort((a, b) => a.email.localeCompare(b.email))).toEqual([
      { type: 'employee.deactivated', email: 'user3@acme.example' },
      { type: 'employee.deactivated', email: 'user4@acme.example' },
    ]);
  });

  it('replace the row of a person whose email changed, as a full cycle would', async () => {
    const id = await syncedConnection('renamed');
    feed.script = {
      users: [{ changed: [user(5, { email: 'New.Five@Acme.example' })], removed: [] }],
    };
    const job = await run(id);
    expect(job.stats).toMatchObject({ mode: 'incremental', created: 1, deactivated: 1 });
    expect(await activeEmails(id)).toEqual(
      ['new.five', 'user1', 'user2', 'user3', 'user4', 'user6'].map((n) => `${n}@acme.example`),
    );
  });

  it('stop at the deprovision guard, keep the cursor, and name who would go', async () => {
    const id = await syncedConnection('guarded');
    const gone = [1, 2, 3, 4].map((n) => oktaUser(n).id);
    feed.script = { users: [{ changed: [], removed: gone }] };
    const stopped = await run(id);
    expect(stopped.status).toBe('FAILED');
    expect(stopped.lastError).toMatch(/deactivate 4 of 6/);
    expect(stopped.preview!.deactivated.map((p) => p.email)).toEqual(
      [1, 2, 3, 4].map((n) => `user${n}@acme.example`),
    );
    expect(await activeEmails(id)).toHaveLength(6);
    expect(await storedCursor(id)).toMatchObject({ cursor: { position: '1' } });

    // Allowed past the guard, the next run reads from the same cursor and deactivates them.
    const allowed = await run(id, { allowMassDeprovision: true });
    expect(allowed.stats).toMatchObject({ mode: 'incremental', deactivated: 4 });
    expect(feed.cursorsRead).toEqual([{ position: '1' }, { position: '1' }]);
  });

  it('keep the previous cursor when a cycle fails half-way, and resume from it', async () => {
    const id = await syncedConnection('crashing');
    feed.script = {
      users: [
        { changed: [user(2, { title: 'CTO' })], removed: [] },
        { changed: [user(3, { title: 'CFO' })], removed: [] },
      ],
      failAfterFirstPage: new ProviderError('transient', 'connection reset'),
    };
    // The first attempt writes its first page, then fails; the retry reads from the same cursor.
    await run(id);
    await t.db.query(`UPDATE job SET run_after = now() WHERE dedupe_key = $1`, [id]);
    await worker.drain();
    expect(feed.cursorsRead).toEqual([{ position: '1' }, { position: '1' }]);
    const titles = await t.db.query<{ email: string; title: string }>(
      `SELECT email, title FROM employee WHERE source_connection_id = $1 AND title <> 'Engineer'
        ORDER BY email`,
      [id],
    );
    expect(titles).toEqual([
      { email: 'user2@acme.example', title: 'CTO' },
      { email: 'user3@acme.example', title: 'CFO' },
    ]);
    expect((await storedCursor(id))!.cursor.position).not.toBe('1');
  });

  it('turn into a full cycle in the same job when the provider refuses the cursor', async () => {
    const id = await syncedConnection('expired');
    const before = (await storedCursor(id))!.fullSyncAt;
    okta.setUsers(Array.from({ length: 5 }, (_, i) => oktaUser(i + 1)));
    feed.script = { users: [], refuse: new CursorExpiredError('410 Gone: resync required') };
    const job = await run(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.stats).toMatchObject({
      mode: 'full',
      modeReason: expect.stringMatching(/refused the stored cursor \(410 Gone/),
      fetched: 5,
      deactivated: 1,
    });
    const after = (await storedCursor(id))!;
    expect(after.cursor).toEqual({ position: '3' });
    expect(after.fullSyncAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it('run a full cycle when the last one is older than fullSyncIntervalHours', async () => {
    const id = await syncedConnection('interval');
    await t.db.query(
      `UPDATE sync_cursor SET full_sync_at = now() - interval '25 hours' WHERE connection_id = $1`,
      [id],
    );
    expect((await run(id)).stats).toMatchObject({
      mode: 'full',
      modeReason: expect.stringMatching(/25 h ago \(fullSyncIntervalHours 24\)/),
    });
    expect((await run(id)).stats).toMatchObject({ mode: 'incremental' });

    // A longer interval makes that run incremental again.
    await t.db.query(
      `UPDATE sync_cursor SET full_sync_at = now() - interval '25 hours' WHERE connection_id = $1`,
      [id],
    );
    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ fullSyncIntervalHours: 48 })
      .expect(200);
    expect((await run(id)).stats).toMatchObject({ mode: 'incremental' });
  });

  it('start over with a full cycle after the config changes', async () => {
    const id = await syncedConnection('reconfigured');
    await t
      .http()
      .patch(`/api/directory/${id}`)
      .set(bearer(acme.adminKey))
      .send({ config: { groupFilter: 'type eq "OKTA_GROUP"' } })
      .expect(200);
    expect(await storedCursor(id)).toBeNull();
    expect((await run(id)).stats).toMatchObject({
      mode: 'full',
      modeReason: expect.stringMatching(/config changed/),
    });
  });

  it('dry runs preview a full cycle and leave the cursor alone', async () => {
    const id = await syncedConnection('dry');
    const dry = await run(id, { dryRun: true });
    expect(dry.stats).toMatchObject({
      mode: 'full',
      modeReason: 'a dry run previews a full cycle',
    });
    expect(await storedCursor(id)).toMatchObject({ cursor: { position: '1' } });
    expect(feed.starts).toBe(1);
  });

  it('write the groups the feed reports changed, delete the ones it reports deleted', async () => {
    const users = Array.from({ length: 6 }, (_, i) => oktaUser(i + 1));
    okta.setUsers(users);
    okta.setGroups([
      oktaGroup(1, [users[0].id]),
      oktaGroup(2, [users[1].id]),
      oktaGroup(3, [users[2].id]),
    ]);
    const id = await createConnection('groups', true);
    expect((await run(id)).stats).toMatchObject({ mode: 'full', groupsCreated: 3 });

    // Group 1 gains a member, group 2 is deleted; group 3's absence from the listing is no
    // deletion in an incremental cycle.
    okta.setGroups([oktaGroup(1, [users[0].id, users[4].id])]);
    const g1 = oktaGroup(1, []).group;
    feed.script = {
      users: [],
      groups: [
        {
          changed: [{ externalId: g1.id, name: g1.profile.name }],
          removed: [oktaGroup(2, []).group.id],
        },
      ],
    };
    const job = await run(id);
    expect(job.stats).toMatchObject({
      mode: 'incremental',
      groupsDeleted: 1,
      membershipsAdded: 1,
    });
    const groups = await t.db.query<{ name: string; members: number }>(
      `SELECT g.name, count(m.employee_id)::int AS members FROM directory_group g
         LEFT JOIN group_membership m ON m.group_id = g.id
        WHERE g.connection_id = $1 GROUP BY g.name ORDER BY g.name`,
      [id],
    );
    expect(groups).toEqual([
      { name: 'Group 1', members: 2 },
      { name: 'Group 3', members: 1 },
    ]);
  });

  it('show fullSyncIntervalHours on the connection and refuse bad values', async () => {
    const id = await createConnection('settings');
    const view = await t.http().get(`/api/directory/${id}`).set(bearer(acme.adminKey)).expect(200);
    expect(view.body).toMatchObject({ fullSyncIntervalHours: 24 });
    for (const bad of [0, 8761, 1.5, '24', null]) {
      expectError(
        await t
          .http()
          .patch(`/api/directory/${id}`)
          .set(bearer(acme.adminKey))
          .send({ fullSyncIntervalHours: bad }),
        400,
        { fields: true },
      );
    }
    const created = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({
        name: 'weekly',
        type: 'okta',
        fullSyncIntervalHours: 168,
        config: { orgUrl: okta.url, apiToken: 't' },
      })
      .expect(201);
    expect(created.body).toMatchObject({ fullSyncIntervalHours: 168 });
  });
});

describe("Okta's own change feed, end to end", () => {
  beforeEach(() => {
    provider.feed = ownFeed;
  });

  /** Each person of the connection: active, and title. */
  async function people(id: string): Promise<Map<string, [boolean, string]>> {
    const rows = await t.db.query<{ email: string; active: boolean; title: string }>(
      `SELECT email, active, title FROM employee WHERE source_connection_id = $1`,
      [id],
    );
    return new Map(rows.map((row) => [row.email, [row.active, row.title]]));
  }
  const userRequests = () =>
    okta.requests.filter((r) => r.url.startsWith('/api/v1/users')).map((r) => decodeURI(r.url));

  it('reads only who changed, deactivates the deprovisioned and nobody else', async () => {
    okta.setUsers(Array.from({ length: 450 }, (_, i) => oktaUser(i)));
    const id = await createConnection('okta feed');
    okta.requests.length = 0;
    expect((await run(id)).stats).toMatchObject({ mode: 'full', fetched: 450, created: 450 });
    // The full cycle's cursor is one cheap request, then the three pages of the listing.
    expect(userRequests()).toHaveLength(4);
    const before = await people(id);

    // Since: a promotion and a deprovisioning; and someone gone from Okta without having
    // been seen deprovisioned, whom only a full cycle may act on.
    const now = new Date(okta.now()).toISOString();
    const changed = (i: number) =>
      i === 5
        ? oktaUser(5, { lastUpdated: now, profile: { title: 'Staff Engineer' } })
        : i === 7
          ? oktaUser(7, { lastUpdated: now, status: 'DEPROVISIONED' })
          : oktaUser(i);
    okta.setUsers(Array.from({ length: 450 }, (_, i) => changed(i)).filter((_, i) => i !== 9));
    okta.requests.length = 0;
    const second = await run(id);
    expect(second).toMatchObject({ status: 'SUCCEEDED' });
    expect(second.stats).toMatchObject({
      mode: 'incremental',
      fetched: 2,
      created: 0,
      updated: 1,
      deactivated: 1,
    });
    expect(userRequests()).toEqual([
      expect.stringMatching(/^\/api\/v1\/users\?limit=200&search=lastUpdated\+gt\+"[^"]+"$/),
    ]);
    const after = await people(id);
    const expected = new Map(before);
    expected.set('user5@acme.example', [true, 'Staff Engineer']);
    expected.set('user7@acme.example', [false, 'Engineer']);
    expect(after).toEqual(expected);
  });
});
