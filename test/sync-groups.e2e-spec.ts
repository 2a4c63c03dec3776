import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { FakeOkta, oktaGroup, oktaUser, type FakeOktaGroup } from './fakes/fake-okta.js';
import type { GroupEvent } from './support/group-events.js';
import { fullCyclesOnly } from './support/full-cycles.js';
import { ANY_TIMINGS, providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * Groups and memberships through real syncs of an Okta org (the fake speaks Okta's Groups
 * API): what a run creates, changes and removes, and what it leaves alone when a listing
 * breaks off.
 */
let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;

const users = Array.from({ length: 1200 }, (_, i) => oktaUser(i));
const ids = (...indexes: number[]) => indexes.map((i) => users[i].id);
const range = (from: number, to: number) =>
  ids(...Array.from({ length: to - from }, (_, i) => from + i));

const engineering = (members = ids(0, 1, 2), name = 'Engineering') =>
  oktaGroup(1, members, { name, description: 'Builds things' });
/** Sales lists someone the roster does not have (a user the sync never saw). */
const sales = (members = [...ids(3, 4), '00uNOBODY']) =>
  oktaGroup(2, members, { name: 'Sales', description: null });
const everyone = (members = range(0, 1200)) =>
  oktaGroup(3, members, { name: 'Everyone', type: 'BUILT_IN', description: null });
const directory = () => [engineering(), sales(), everyone()];

const { createConnection, sync, syncError } = providerHarness({
  app: () => t,
  company: () => acme,
  connection: {
    name: 'Okta',
    type: 'okta',
    config: () => ({ orgUrl: okta.url, apiToken: okta.apiToken }),
  },
});

interface GroupItem {
  id: string;
  externalId: string;
  name: string;
  description: string | null;
  memberCount: number;
  updatedAt: string;
}

async function groupsOf(connectionId: string, as = acme): Promise<GroupItem[]> {
  const res = await t
    .http()
    .get(`/api/groups?connectionId=${connectionId}&limit=200`)
    .set(bearer(as.adminKey))
    .expect(200);
  return (res.body as { items: GroupItem[] }).items;
}

/** Every membership of the connection as "group name: member external ids", sorted. */
async function memberships(connectionId: string): Promise<Record<string, string[]>> {
  const rows = await t.db.query<{ name: string; members: string[] }>(
    `SELECT g.name, array_remove(array_agg(e.external_id ORDER BY e.external_id), NULL) AS members
       FROM directory_group g
       LEFT JOIN group_membership m ON m.group_id = g.id
       LEFT JOIN employee e ON e.id = m.employee_id
      WHERE g.connection_id = $1
      GROUP BY g.name`,
    [connectionId],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.members]));
}

/** The connection's group rows and memberships as they are stored, to compare before/after. */
async function stored(connectionId: string): Promise<unknown[]> {
  return t.db.query(
    `SELECT g.*, (SELECT array_agg(m.employee_id ORDER BY m.employee_id)
                    FROM group_membership m WHERE m.group_id = g.id) AS members
       FROM directory_group g WHERE g.connection_id = $1 ORDER BY g.external_id`,
    [connectionId],
  );
}

type StoredEvent = GroupEvent;

let lastSeq = '0';
/**
 * The group events the connection got since the last call, in the order they were written
 * (read from the table: committed is enough here; the API's visibility rule is the events
 * spec's business).
 */
async function newGroupEvents(connectionId: string): Promise<StoredEvent[]> {
  const rows = await t.db.query<StoredEvent & { at: string }>(
    `SELECT seq::text AS at, type, data FROM event
      WHERE connection_id = $1 AND type LIKE 'group.%' AND seq > $2 ORDER BY event.seq`,
    [connectionId, lastSeq],
  );
  if (rows.length) lastSeq = rows[rows.length - 1].at;
  return rows.map(({ type, data }) => ({ type, data }));
}

const countByType = (events: StoredEvent[]) =>
  events.reduce<Record<string, number>>(
    (counts, e) => ({ ...counts, [e.type]: (counts[e.type] ?? 0) + 1 }),
    {},
  );

const NO_CHANGE = {
  groupsCreated: 0,
  groupsUpdated: 0,
  groupsDeleted: 0,
  membershipsAdded: 0,
  membershipsRemoved: 0,
};

beforeAll(async () => {
  t = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true', PROVIDER_RETRY_BASE_MS: '1' });
  fullCyclesOnly(t, 'okta');
  okta = new FakeOkta({ users, groups: directory() });
  await okta.start();
  acme = await createCompany(t, 'Acme');
});
afterAll(async () => {
  await okta.stop();
  await t.close();
});
beforeEach(() => {
  okta.faults = [];
  okta.listFaults.clear();
  okta.requests.length = 0;
});

describe('a sync brings the directory groups with the users', () => {
  let id: string;
  beforeAll(async () => {
    okta.setGroups(directory());
    id = await createConnection();
  });

  it('creates the groups and their memberships after the users, ignoring unknown members', async () => {
    const stats = await sync(id);
    expect(stats).toMatchObject({
      fetched: 1200,
      created: 1200,
      groupsCreated: 3,
      groupsUpdated: 0,
      groupsDeleted: 0,
      membershipsAdded: 3 + 2 + 1200,
      membershipsRemoved: 0,
    });
    expect(
      (await groupsOf(id)).map((g) => [g.name, g.externalId, g.description, g.memberCount]),
    ).toEqual([
      ['Engineering', engineering().group.id, 'Builds things', 3],
      ['Everyone', everyone().group.id, null, 1200],
      ['Sales', sales().group.id, null, 2],
    ]);
    expect(await memberships(id)).toMatchObject({
      Engineering: ids(0, 1, 2).sort(),
      Sales: ids(3, 4).sort(),
    });
    // Users first, then the groups, then each group's members.
    const paths = okta.requests.map((r) => new URL(r.url, okta.url).pathname);
    expect(paths.indexOf('/api/v1/groups')).toBe(paths.lastIndexOf('/api/v1/users') + 1);

    const events = await newGroupEvents(id);
    expect(countByType(events)).toEqual({ 'group.created': 3, 'group.member_added': 1205 });
    const [api] = await groupsOf(id); // Engineering
    expect(events.find((e) => e.type === 'group.created')?.data).toEqual({
      ...api,
      memberCount: 0, // its members come after it
    });
    expect(
      events.find(
        (e) =>
          e.type === 'group.member_added' &&
          e.data.group.name === 'Engineering' &&
          e.data.employee.externalId === users[1].id,
      )?.data,
    ).toEqual({
      group: api,
      employee: expect.objectContaining({ email: 'user1@acme.example', externalId: users[1].id }),
    });
  });

  it('changes nothing, not even a timestamp, on a re-sync of the same directory', async () => {
    const before = await stored(id);
    const stats = await sync(id);
    expect(stats).toMatchObject({ ...NO_CHANGE, unchanged: 1200 });
    expect(await stored(id)).toEqual(before);
    expect(await newGroupEvents(id)).toEqual([]);
  });

  it('updates a renamed group in place, keeping its id and members', async () => {
    const [before] = (await groupsOf(id)).filter((g) => g.name === 'Engineering');
    okta.setGroups([engineering(ids(0, 1, 2), 'Platform'), sales(), everyone()]);
    const stats = await sync(id);
    expect(stats).toMatchObject({ ...NO_CHANGE, groupsUpdated: 1 });
    const [after] = (await groupsOf(id)).filter((g) => g.name === 'Platform');
    expect(after).toMatchObject({ id: before.id, memberCount: 3 });
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(await newGroupEvents(id)).toEqual([{ type: 'group.updated', data: after }]);
  });

  it('adds and removes members', async () => {
    okta.setGroups([engineering(ids(0, 2, 7, 8), 'Platform'), sales(), everyone()]);
    const stats = await sync(id);
    expect(stats).toMatchObject({ ...NO_CHANGE, membershipsAdded: 2, membershipsRemoved: 1 });
    expect((await memberships(id)).Platform).toEqual(ids(0, 2, 7, 8).sort());
    const events = await newGroupEvents(id);
    expect(
      events.map((e) => [e.type, e.data.employee.externalId, e.data.group.memberCount]),
    ).toEqual(
      expect.arrayContaining([
        ['group.member_added', users[7].id, 4],
        ['group.member_added', users[8].id, 4],
        ['group.member_removed', users[1].id, 4],
      ]),
    );
    expect(events).toHaveLength(3);
  });

  it('changes nothing of a group whose member list fails half-way, and fails the run', async () => {
    const before = await stored(id);
    // Everyone loses 100 members, but the second page of its list (1,000 a page) never comes.
    okta.setGroups([engineering(ids(0, 2, 7, 8), 'Platform'), sales(), everyone(range(100, 1200))]);
    okta.listFaults.set(`/api/v1/groups/${everyone().group.id}/users@1`, { status: 401 });
    const error = await syncError(id);
    expect(error.kind).toBe('auth');
    expect(await stored(id)).toEqual(before);
    expect(await newGroupEvents(id)).toEqual([]);
  });

  it('keeps every group when the group listing fails half-way', async () => {
    // Two pages of groups: the first one's groups are written, but nothing is deleted.
    const many: FakeOktaGroup[] = Array.from({ length: 1001 }, (_, g) =>
      oktaGroup(100 + g, ids(g % 1200)),
    );
    okta.setGroups(many);
    okta.listFaults.set('/api/v1/groups@1', { status: 401 });
    expect((await syncError(id)).kind).toBe('auth');
    const [{ groups, kept }] = await t.db.query<{ groups: number; kept: string[] }>(
      `SELECT count(*)::int AS groups,
              array_agg(name ORDER BY name) FILTER (WHERE name NOT LIKE 'Group %') AS kept
         FROM directory_group WHERE connection_id = $1`,
      [id],
    );
    expect(kept).toEqual(['Everyone', 'Platform', 'Sales']);
    expect(groups).toBe(3 + 1000);
    const events = await newGroupEvents(id);
    expect(events.some((e) => e.type === 'group.deleted')).toBe(false);
  });

  it('deletes groups gone from a complete listing, with their memberships', async () => {
    const gone = (
      await t.db.query<{ id: string }>(
        `SELECT id FROM directory_group WHERE connection_id = $1 AND name <> 'Sales'`,
        [id],
      )
    ).map((g) => g.id);
    okta.setGroups([sales()]);
    const stats = await sync(id);
    expect(stats).toMatchObject({
      groupsCreated: 0,
      groupsDeleted: gone.length,
      membershipsAdded: 0,
    });
    expect((await groupsOf(id)).map((g) => g.name)).toEqual(['Sales']);
    const [{ left }] = await t.db.query<{ left: number }>(
      `SELECT count(*)::int AS left FROM group_membership WHERE group_id = ANY($1)`,
      [gone],
    );
    expect(left).toBe(0);
    await t.http().get(`/api/groups/${gone[0]}`).set(bearer(acme.adminKey)).expect(404);
    // One event per group, with its last state; its memberships go with it.
    const events = await newGroupEvents(id);
    expect(countByType(events)).toEqual({ 'group.deleted': gone.length });
    expect(events.find((e) => e.data.name === 'Everyone')?.data).toMatchObject({
      memberCount: 1200,
    });
  });
});

describe('a connection with syncGroups false', () => {
  it('reads no group and writes none', async () => {
    const globex = await createCompany(t, 'Globex');
    okta.setGroups(directory());
    const id = await createConnection({ syncGroups: false }, { company: globex });
    const stats = await sync(id, {}, globex);
    expect(stats).toEqual({
      fetched: 1200,
      created: 1200,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      skipped: 0,
      mode: 'full',
      modeReason: expect.any(String),
      ...ANY_TIMINGS,
    });
    expect(okta.requests.some((r) => r.url.startsWith('/api/v1/groups'))).toBe(false);
    expect(await groupsOf(id, globex)).toEqual([]);
  });
});

describe('a sync job', () => {
  it('shows the group counts in its stats', async () => {
    const initech = await createCompany(t, 'Initech');
    okta.setGroups([engineering(), sales()]);
    const id = await createConnection({}, { company: initech });
    const trigger = await t
      .http()
      .post(`/api/directory/${id}/sync`)
      .set(bearer(initech.adminKey))
      .send({})
      .expect(202);
    await t.app.get(QueueWorker).drain();
    const job = await t
      .http()
      .get(`/api/sync-jobs/${(trigger.body as { jobId: string }).jobId}`)
      .set(bearer(initech.adminKey))
      .expect(200);
    expect(job.body).toMatchObject({
      status: 'SUCCEEDED',
      stats: { fetched: 1200, groupsCreated: 2, membershipsAdded: 5, groupsDeleted: 0 },
    });
  });
});
