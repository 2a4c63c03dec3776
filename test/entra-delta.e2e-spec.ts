import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CursorExpiredError,
  type ChangeFeed,
  type ChangeSet,
} from '../src/directory/providers/directory-provider.js';
import { EntraIdProvider } from '../src/directory/providers/entra-id.provider.js';
import { FakeEntra, graphGroup, graphUser } from './fakes/fake-entra.js';
import { testHttpClient } from './support/group-reading.js';

let entra: FakeEntra;
const provider = new EntraIdProvider(testHttpClient());
const feed: ChangeFeed = provider.feed;
const signal = new AbortController().signal;

const users = Array.from({ length: 10 }, (_, i) => graphUser(i));
const ids = users.map((user) => user.id);
const engineering = graphGroup(1, ids.slice(0, 3), { displayName: 'Engineering' });
const sales = graphGroup(2, ids.slice(3, 6), { displayName: 'Sales' });
const support = graphGroup(3, ids.slice(6, 8), { displayName: 'Support' });

const config = (extra: Record<string, unknown> = {}) => entra.connectionConfig(extra);

/** Everything a change set holds, read the way the engine reads it, and where it ends. */
async function readAll(changes: ChangeSet) {
  const userPages = await collect(changes.users());
  const groupReader = changes.groups();
  const groupPages = groupReader ? await collect(groupReader) : undefined;
  return {
    userPages,
    users: {
      changed: userPages.flatMap((page) => page.changed),
      removed: userPages.flatMap((page) => page.removed),
    },
    groups: groupPages && {
      changed: groupPages.flatMap((page) => page.changed),
      removed: groupPages.flatMap((page) => page.removed),
    },
    next: changes.next(),
  };
}

/** Every page a change set's stream yields. */
async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const read: T[] = [];
  for await (const page of pages) read.push(page);
  return read;
}

/** The feed's read fails with a CursorExpiredError whose message matches. */
async function expectExpired(reading: Promise<unknown>, message = /./): Promise<void> {
  await expect(reading).rejects.toThrow(CursorExpiredError);
  await expect(reading).rejects.toThrow(message);
}

beforeAll(async () => {
  entra = new FakeEntra({
    users: users.map((user) => ({ ...user })),
    groups: [engineering, sales, support].map((g) => ({ ...g, memberIds: [...g.memberIds] })),
  });
  await entra.start();
});
afterAll(() => entra.stop());
beforeEach(() => entra.reset());

describe('Entra ID change feed: start', () => {
  it('takes deltaLinks at $deltatoken=latest for users and groups, reading no data', async () => {
    const cursor = await feed.start(config(), signal);
    expect(entra.graphRequests.map((r) => r.url)).toEqual([
      '/v1.0/users/delta?$deltatoken=latest&$select=id,mail,userPrincipalName,givenName,surname,department,jobTitle,accountEnabled',
      '/v1.0/groups/delta?$deltatoken=latest&$select=id,displayName,description,members',
    ]);
    expect(cursor).toEqual({
      users: expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/delta\?\$deltatoken=/,
      ),
      groups: expect.stringMatching(/\/v1\.0\/groups\/delta\?\$deltatoken=/),
    });
  });

  it('takes no groups deltaLink when the connection does not sync groups', async () => {
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    expect(Object.keys(cursor)).toEqual(['users']);
    expect(entra.graphRequests).toHaveLength(1);
  });

  it('says why a groupFilter cannot use the feed', () => {
    expect(feed.unsupported(config())).toBeUndefined();
    expect(feed.unsupported(config({ flattenNestedGroups: true }))).toBeUndefined();
    expect(feed.unsupported(config({ groupFilter: "startswith(displayName,'eng')" }))).toMatch(
      /groupFilter/,
    );
    // It does not matter to a connection that reads users only.
    expect(feed.unsupported(config({ syncGroups: false, groupFilter: 'x' }))).toBeUndefined();
  });
});

describe('Entra ID change feed: changes', () => {
  it('reads only what changed since the cursor, mapped as a full sync maps it', async () => {
    const cursor = await feed.start(config(), signal);
    entra.changeUser(ids[1], { jobTitle: 'Staff Engineer', department: null });
    entra.changeUser(ids[2], { accountEnabled: false });
    entra.putUser(graphUser(50, { mail: null, userPrincipalName: 'new.hire@contoso.example' }));
    entra.removeUser(ids[4]);
    entra.removeUser(ids[5], 'deleted');
    entra.putGroup({ ...sales.group, displayName: 'Sales EMEA' });
    entra.putGroup(support.group, [...support.memberIds, ids[9]]);
    entra.removeGroup(engineering.group.id);
    entra.reset();

    const read = await readAll(feed.changes(config(), cursor, signal));
    expect(read.users).toEqual({
      changed: [
        expect.objectContaining({ externalId: ids[1], title: 'Staff Engineer', department: '' }),
        expect.objectContaining({
          externalId: ids[2],
          email: 'User2@Contoso.example',
          active: false,
        }),
        expect.objectContaining({
          externalId: graphUser(50).id,
          email: 'new.hire@contoso.example',
        }),
      ],
      removed: [ids[4], ids[5]],
    });
    expect(read.users.changed[0]).toEqual({
      externalId: ids[1],
      email: 'User1@Contoso.example',
      firstName: 'Given1',
      lastName: 'Surname1',
      department: '',
      title: 'Staff Engineer',
      active: true,
    });
    // Sales: renamed, then (user 4 and 5 removed) its members changed; Support: a member added.
    expect(read.groups).toEqual({
      changed: [
        { externalId: sales.group.id, name: 'Sales EMEA', description: 'Group 2 of Contoso' },
        { externalId: support.group.id, name: 'Support', description: 'Group 3 of Contoso' },
      ],
      removed: [engineering.group.id],
    });
    expect(entra.graphRequests.map((r) => new URL(r.url, entra.url).pathname)).toEqual([
      '/v1.0/users/delta',
      '/v1.0/groups/delta',
    ]);

    // The next cycle starts after these changes: nothing new, nothing read again.
    const again = await readAll(feed.changes(config(), read.next, signal));
    expect(again.users).toEqual({ changed: [], removed: [] });
    expect(again.groups).toEqual({ changed: [], removed: [] });
    entra.changeUser(ids[7], { surname: 'Renamed' });
    const last = await readAll(feed.changes(config(), again.next, signal));
    expect(last.users.changed.map((user) => user.lastName)).toEqual(['Renamed']);
  });

  it('follows @odata.nextLink pages to the new deltaLink', async () => {
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    for (let n = 100; n < 125; n++) entra.putUser(graphUser(n));
    entra.reset();
    entra.deltaPageSize = 10;

    const read = await readAll(feed.changes(config({ syncGroups: false }), cursor, signal));
    expect(read.userPages.map((page) => page.changed.length)).toEqual([10, 10, 5]);
    expect(read.users.changed.map((user) => user.externalId)).toEqual(
      Array.from({ length: 25 }, (_, i) => graphUser(100 + i).id),
    );
    expect(entra.graphRequests.map((r) => r.url)).toEqual([
      expect.stringMatching(/^\/v1\.0\/users\/delta\?\$deltatoken=/),
      expect.stringMatching(/^\/v1\.0\/users\/delta\?\$skiptoken=/),
      expect.stringMatching(/^\/v1\.0\/users\/delta\?\$skiptoken=/),
    ]);
    expect(read.next).toEqual({ users: expect.stringMatching(/\$deltatoken=/) });
    expect(read.next.users).not.toBe(cursor.users);
  });

  it('keeps a group once when its member changes span pages, with its last state', async () => {
    const cursor = await feed.start(config(), signal);
    entra.putGroup(support.group, [...support.memberIds, ids[0]]);
    entra.putGroup({ ...support.group, description: null }, [...support.memberIds, ids[1]]);
    entra.putGroup(sales.group, [ids[3]]);
    entra.removeGroup(sales.group.id);
    entra.reset();
    entra.deltaPageSize = 1;

    const read = await readAll(feed.changes(config(), cursor, signal));
    expect(read.groups).toEqual({
      changed: [{ externalId: support.group.id, name: 'Support' }],
      removed: [sales.group.id],
    });
  });

  it('with flattened nesting, marks changed the groups a changed group is nested in', async () => {
    const flat = config({ flattenNestedGroups: true });
    const platform = graphGroup(4, [ids[8]], { displayName: 'Platform' });
    const product = graphGroup(5, [platform.group.id], { displayName: 'Product' });
    const company = graphGroup(6, [product.group.id, ids[0]], { displayName: 'Company' });
    const gone = graphGroup(7, [], { displayName: 'Gone' });
    for (const { group, memberIds } of [platform, product, company, gone]) {
      entra.putGroup(group, memberIds);
    }
    const cursor = await feed.start(flat, signal);
    entra.putGroup(platform.group, [ids[8], ids[9]]);
    entra.putGroup(gone.group, [ids[9]]);
    // Deleted after its change was logged, before its parents are asked for: none to tell.
    entra.groups = entra.groups.filter((g) => g.group.id !== gone.group.id);
    entra.reset();

    const read = await readAll(feed.changes(flat, cursor, signal));
    expect(read.groups?.changed.map((group) => group.name)).toEqual([
      'Platform',
      'Gone',
      'Product',
      'Company',
    ]);
    expect(entra.graphRequests.map((r) => new URL(r.url, entra.url).pathname)).toEqual([
      '/v1.0/users/delta',
      '/v1.0/groups/delta',
      `/v1.0/groups/${platform.group.id}/transitiveMemberOf/microsoft.graph.group`,
      // Gone's: a 404, which the fake answers without recording it; skipped.
    ]);

    // Without flattening, only the group whose direct members changed.
    entra.putGroup(platform.group, [ids[8]]);
    const direct = await readAll(feed.changes(config(), read.next, signal));
    expect(direct.groups?.changed.map((group) => group.name)).toEqual(['Platform']);
  });

  it('cannot say where it stands before every change was read', async () => {
    const cursor = await feed.start(config(), signal);
    const changes = feed.changes(config(), cursor, signal);
    await collect(changes.users());
    expect(() => changes.next()).toThrow(/before it was read/);
  });
});

describe('Entra ID change feed: refusals', () => {
  it('throws CursorExpiredError on a 410 Gone deltaLink', async () => {
    const cursor = await feed.start(config(), signal);
    entra.expireDeltaLinks();
    await expectExpired(readAll(feed.changes(config(), cursor, signal)), /410 resyncRequired/);
  });

  it("throws CursorExpiredError on Graph's 400 syncStateNotFound (a link older than 7 days)", async () => {
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    entra.expireDeltaLinks();
    entra.expiredStatus = 400;
    await expectExpired(
      readAll(feed.changes(config({ syncGroups: false }), cursor, signal)),
      /400 syncStateNotFound/,
    );
  });

  it('throws CursorExpiredError for a cursor without a groups link, or on another host', async () => {
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    // Groups synced since the cursor was taken: their feed has no position yet.
    const changes = feed.changes(config(), cursor, signal);
    await collect(changes.users());
    await expectExpired(collect(changes.groups()!));
    // graphBaseUrl changed since: the stored link is not followed.
    const moved = { users: cursor.users.replace(entra.url, 'https://graph.microsoft.com') };
    await expectExpired(readAll(feed.changes(config(), moved, signal)));
    expect(entra.graphRequests.filter((r) => r.url.includes('delta'))).toHaveLength(2);
  });

  it('refuses a nextLink or deltaLink Graph points to another host', async () => {
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    entra.putUser(graphUser(200));
    entra.deltaLinkBase = 'http://127.0.0.2:9';
    await expect(
      readAll(feed.changes(config({ syncGroups: false }), cursor, signal)),
    ).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/pointed to http:\/\/127\.0\.0\.2:9, outside the configured/),
    });
    // The deltaLink to the other host is refused as it arrives: never stored nor followed.
    expect(entra.graphRequests.map((r) => r.url)).toEqual([
      expect.stringMatching(/deltatoken=latest/),
      expect.stringMatching(/^\/v1\.0\/users\/delta\?\$deltatoken=/),
    ]);

    // A nextLink elsewhere: refused before it is followed.
    entra.deltaLinkBase = undefined;
    const next = await feed.start(config({ syncGroups: false }), signal);
    entra.putUser(graphUser(201));
    entra.putUser(graphUser(202));
    entra.deltaPageSize = 1;
    entra.nextLinkBase = 'http://127.0.0.2:9';
    await expect(
      readAll(feed.changes(config({ syncGroups: false }), next, signal)),
    ).rejects.toMatchObject({ kind: 'config', message: expect.stringMatching(/127\.0\.0\.2:9/) });
  });

  it('maps refused credentials as the full sync does', async () => {
    const cursor = await feed.start(config(), signal);
    entra.graphFaults.push({ status: 403 });
    await expect(readAll(feed.changes(config(), cursor, signal))).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/permission User\.Read\.All/),
    });
    await expect(feed.start({ ...config(), clientSecret: 'wrong' }, signal)).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/client secret/),
    });
  });

  it('waits out a 429 with Retry-After and goes on', async () => {
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    entra.changeUser(ids[3], { givenName: 'Renamed' });
    entra.graphFaults.push({ status: 429, retryAfter: 0 });
    const read = await readAll(feed.changes(config({ syncGroups: false }), cursor, signal));
    expect(read.users.changed.map((user) => user.firstName)).toEqual(['Renamed']);
    expect(entra.graphRequests.filter((r) => r.url.includes('delta')).length).toBe(3);
  });
});
