import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  GROUP,
  oktaUser,
  PATCH_OP,
  resource,
  scim,
  scimConnection,
  type ScimSetup,
} from './support/scim.js';
import type { GroupEvent } from './support/group-events.js';
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
 * The groups API over groups a SCIM push wrote (the pull syncs' groups: test/sync-groups):
 * paging, filters, members, an employee's groups; another company's ids are 404.
 */
let t: TestApp;
let s: ScimSetup;
let viewer: string;
let globex: TestCompany;
const users: Record<string, string> = {};
const groups: Record<string, string> = {};

interface GroupItem {
  id: string;
  connectionId: string;
  externalId: string;
  name: string;
  description: string | null;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}
type Page<T> = { items: T[]; nextCursor: string | null };

const get = (path: string, key = viewer) => t.http().get(path).set(bearer(key));

beforeAll(async () => {
  t = await startTestApp();
  s = await scimConnection(t);
  viewer = (await createKey(t, s.company.adminKey, 'viewer')).key;
  globex = await createCompany(t, 'Globex');
  for (const name of ['ann', 'bob', 'cat']) {
    const res = await scim(t, s, 'post', '/Users', oktaUser(`${name}@acme.com`)).expect(201);
    users[name] = resource(res).id;
  }
  const push = async (displayName: string, members: string[]) =>
    resource(
      await scim(t, s, 'post', '/Groups', {
        schemas: [GROUP],
        displayName,
        members: members.map((value) => ({ value })),
      }).expect(201),
    ).id;
  groups.sales = await push('Sales', [users.ann, users.bob]);
  groups.eng = await push('engineering', [users.bob, users.cat, users.ann]);
  groups.ops = await push('Ops', []);
});
afterAll(async () => {
  await t?.close();
});

describe('GET /api/groups', () => {
  it('lists SCIM groups like any other, in name order ignoring case, with member counts', async () => {
    const res = await get('/api/groups').expect(200);
    const body = res.body as Page<GroupItem>;
    expect(body.nextCursor).toBeNull();
    expect(body.items.map((g) => [g.name, g.memberCount])).toEqual([
      ['engineering', 3],
      ['Ops', 0],
      ['Sales', 2],
    ]);
    expect(body.items[2]).toEqual({
      id: groups.sales,
      connectionId: s.connectionId,
      externalId: groups.sales,
      name: 'Sales',
      description: null,
      memberCount: 2,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('pages with a cursor, and filters by name and connection', async () => {
    const first = (await get('/api/groups?limit=2').expect(200)).body as Page<GroupItem>;
    expect(first.items.map((g) => g.name)).toEqual(['engineering', 'Ops']);
    const next = (await get(`/api/groups?limit=2&cursor=${first.nextCursor}`).expect(200))
      .body as Page<GroupItem>;
    expect(next).toEqual({ items: [expect.objectContaining({ name: 'Sales' })], nextCursor: null });

    const named = (await get('/api/groups?name=SALES').expect(200)).body as Page<GroupItem>;
    expect(named.items.map((g) => g.id)).toEqual([groups.sales]);
    const ofConnection = (await get(`/api/groups?connectionId=${s.connectionId}`).expect(200))
      .body as Page<GroupItem>;
    expect(ofConnection.items).toHaveLength(3);
    const ofNone = (await get(`/api/groups?connectionId=${randomUUID()}`).expect(200))
      .body as Page<GroupItem>;
    expect(ofNone.items).toEqual([]);
  });

  it('refuses a malformed limit, cursor or connectionId with 400', async () => {
    for (const query of [
      'limit=0',
      'limit=201',
      'limit=1e2',
      'cursor=nope!',
      `cursor=${Buffer.from('{"id":"x"}').toString('base64url')}`,
      'connectionId=42',
      'unknown=1',
    ]) {
      const res = await get(`/api/groups?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
  });

  it("shows another company nothing of Acme's groups", async () => {
    const res = await get('/api/groups', globex.adminKey).expect(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('GET /api/groups/:id and /members', () => {
  it('answers one group', async () => {
    const res = await get(`/api/groups/${groups.eng}`).expect(200);
    expect(res.body).toMatchObject({ id: groups.eng, name: 'engineering', memberCount: 3 });
  });

  it("lists a group's members as employees, in email order, paged", async () => {
    const first = (await get(`/api/groups/${groups.eng}/members?limit=2`).expect(200))
      .body as Page<{ id: string; email: string }>;
    expect(first.items.map((e) => e.email)).toEqual(['ann@acme.com', 'bob@acme.com']);
    const rest = (
      await get(`/api/groups/${groups.eng}/members?limit=2&cursor=${first.nextCursor}`).expect(200)
    ).body as Page<{ email: string }>;
    expect(rest).toEqual({
      items: [expect.objectContaining({ email: 'cat@acme.com' })],
      nextCursor: null,
    });
    const empty = await get(`/api/groups/${groups.ops}/members`).expect(200);
    expect(empty.body).toEqual({ items: [], nextCursor: null });
  });

  it("answers 404 for another company's group or none, 400 for a malformed id", async () => {
    for (const path of [`/api/groups/${groups.eng}`, `/api/groups/${groups.eng}/members`]) {
      const res = await get(path, globex.adminKey).expect(404);
      expect(res.body).toMatchObject({ statusCode: 404 });
    }
    await get(`/api/groups/${randomUUID()}`).expect(404);
    await get(`/api/groups/${randomUUID()}/members`).expect(404);
    await get('/api/groups/not-a-uuid').expect(400);
    await get(`/api/groups/${groups.eng}/members?cursor=x`).expect(400);
  });
});

describe('GET /api/employees/:id', () => {
  it('answers the employee with its groups in name order', async () => {
    const res = await get(`/api/employees/${users.bob}`).expect(200);
    expect(res.body).toMatchObject({
      id: users.bob,
      email: 'bob@acme.com',
      connectionId: s.connectionId,
      groups: [
        { id: groups.eng, name: 'engineering' },
        { id: groups.sales, name: 'Sales' },
      ],
    });
    const cat = await get(`/api/employees/${users.cat}`).expect(200);
    expect((cat.body as { groups: unknown[] }).groups).toEqual([
      { id: groups.eng, name: 'engineering' },
    ]);
  });

  it("answers 404 for another company's employee, 400 for a malformed id", async () => {
    await get(`/api/employees/${users.bob}`, globex.adminKey).expect(404);
    await get(`/api/employees/${randomUUID()}`).expect(404);
    await get('/api/employees/bob').expect(400);
  });

  it('lists the members of a group through ?groupId too', async () => {
    const res = await get(`/api/employees?groupId=${groups.sales}`).expect(200);
    expect((res.body as Page<{ id: string }>).items.map((e) => e.id).sort()).toEqual(
      [users.ann, users.bob].sort(),
    );
  });
});

describe('group events of SCIM pushes', () => {
  type Event = GroupEvent;
  let after: string | undefined;
  /** GET /api/events for group events after the last call, until `count` have arrived. */
  async function groupEvents(count: number): Promise<Event[]> {
    const seen: Event[] = [];
    await eventually(async () => {
      const res = await get(
        `/api/events?types=${GROUP_EVENT_TYPES}&limit=1000${after ? `&after=${after}` : ''}`,
      ).expect(200);
      const body = res.body as { items: Event[]; nextCursor: string };
      seen.push(...body.items);
      after = body.nextCursor;
      return seen.length >= count;
    });
    return seen;
  }
  const GROUP_EVENT_TYPES = [
    'group.created',
    'group.updated',
    'group.deleted',
    'group.member_added',
    'group.member_removed',
  ].join(',');
  const summary = (events: Event[]) =>
    events.map((e) =>
      e.type.startsWith('group.member')
        ? `${e.type} ${e.data.group.name} ${e.data.employee.email} (${e.data.group.memberCount})`
        : `${e.type} ${e.data.name} (${e.data.memberCount})`,
    );

  it('records creations with their members', async () => {
    expect(summary(await groupEvents(8))).toEqual([
      'group.created Sales (0)',
      'group.member_added Sales ann@acme.com (2)',
      'group.member_added Sales bob@acme.com (2)',
      'group.created engineering (0)',
      'group.member_added engineering ann@acme.com (3)',
      'group.member_added engineering bob@acme.com (3)',
      'group.member_added engineering cat@acme.com (3)',
      'group.created Ops (0)',
    ]);
  });

  it('records a rename, member changes, a replace that keeps members, a user and a group deleted', async () => {
    const patch = (id: string, ...Operations: object[]) =>
      scim(t, s, 'patch', `/Groups/${id}`, { schemas: [PATCH_OP], Operations }).expect(204);
    await patch(groups.ops, { op: 'replace', path: 'displayName', value: 'Operations' });
    await patch(groups.ops, { op: 'add', path: 'members', value: [{ value: users.cat }] });
    await patch(groups.sales, { op: 'remove', path: `members[value eq "${users.ann}"]` });
    // A PUT with the same members changes no membership.
    await scim(t, s, 'put', `/Groups/${groups.eng}`, {
      schemas: [GROUP],
      displayName: 'engineering',
      members: [users.ann, users.bob, users.cat].map((value) => ({ value })),
    }).expect(200);
    await scim(t, s, 'delete', `/Users/${users.cat}`).expect(204);
    await scim(t, s, 'delete', `/Groups/${groups.sales}`).expect(204);
    const events = summary(await groupEvents(6));
    expect(events.slice(0, 3)).toEqual([
      'group.updated Operations (0)',
      'group.member_added Operations cat@acme.com (1)',
      'group.member_removed Sales ann@acme.com (1)',
    ]);
    // The user's deletion takes it out of both its groups, in one statement.
    expect(events.slice(3, 5).sort()).toEqual([
      'group.member_removed Operations cat@acme.com (0)',
      'group.member_removed engineering cat@acme.com (2)',
    ]);
    expect(events[5]).toBe('group.deleted Sales (1)');
  });
});
