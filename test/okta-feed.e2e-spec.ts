import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CursorExpiredError,
  ProviderError,
  type ChangeSet,
  type FeedCursor,
  type UserChanges,
} from '../src/directory/providers/directory-provider.js';
import { OktaApi } from '../src/directory/providers/okta-api.js';
import { OktaChangeFeed } from '../src/directory/providers/okta-feed.js';
import { OktaProvider } from '../src/directory/providers/okta.provider.js';
import { FakeOkta, oktaGroup, oktaUser, type OktaUserJson } from './fakes/fake-okta.js';
import { failureOf, testHttpClient } from './support/group-reading.js';

/** Okta's clock, on a whole second (its `Date` header has no milliseconds). */
const T = Date.parse('2026-11-30T12:00:00.000Z');
const at = (offsetMs: number) => new Date(T + offsetMs).toISOString();
const SECOND = 1000;
const MINUTE = 60 * SECOND;

let okta: FakeOkta;
const feed = new OktaProvider(testHttpClient(), 2000).feed;
const signal = new AbortController().signal;
const config = (extra: Record<string, unknown> = {}) => ({
  orgUrl: okta.url,
  apiToken: okta.apiToken,
  ...extra,
});
const urls = () => okta.requests.map((request) => decodeURIComponent(request.url));

/** Reads a change set the way the engine does: users, then groups, then the next cursor. */
async function read(changes: ChangeSet) {
  const users = await all(changes.users());
  const groupPages = changes.groups();
  const groups = groupPages ? await all(groupPages) : [];
  return {
    changed: users.flatMap((page) => page.changed),
    removed: users.flatMap((page) => page.removed),
    changedGroups: groups.flatMap((page) => page.changed.map((group) => group.name)),
    removedGroups: groups.flatMap((page) => page.removed),
    next: changes.next(),
  };
}
const readSince = (cursor: FeedCursor, extra: Record<string, unknown> = {}) =>
  read(feed.changes(config({ syncGroups: false, ...extra }), cursor, signal));

beforeAll(async () => {
  okta = new FakeOkta({ users: [] });
  await okta.start();
});
afterAll(() => okta.stop());
beforeEach(() => {
  okta.now = () => T;
  okta.sendsDate = true;
  okta.faults = [];
  okta.pageFaults.clear();
  okta.requests.length = 0;
});

describe('Okta change feed: start', () => {
  it("takes Okta's clock from one cheap request, minus the five-minute overlap", async () => {
    expect(await feed.start(config(), signal)).toEqual({ since: at(-5 * MINUTE) });
    expect(urls()).toEqual(['/api/v1/users?limit=1']);
  });

  it("falls back on our clock when Okta's answer has no Date header", async () => {
    okta.sendsDate = false;
    const ours = new OktaChangeFeed(new OktaApi(testHttpClient(), 2000), () => T + 42 * SECOND);
    expect(await ours.start(config(), signal)).toEqual({ since: at(42 * SECOND - 5 * MINUTE) });
  });

  it('refuses the credentials as the full sync does (401: auth)', async () => {
    okta.faults.push({ status: 401 });
    const error = await feed.start(config(), signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
  });
});

describe('Okta change feed: users', () => {
  const cursor = { since: at(-5 * MINUTE) };

  it('reads only the users Okta updated since the cursor, with search=lastUpdated gt', async () => {
    okta.setUsers([
      oktaUser(1),
      oktaUser(2, { lastUpdated: at(-MINUTE), profile: { title: 'Manager' } }),
      oktaUser(3, { lastUpdated: at(-6 * MINUTE) }),
      oktaUser(4, { lastUpdated: at(30 * SECOND) }),
    ]);
    okta.now = () => T + MINUTE;
    const { changed, removed, next } = await readSince(cursor);
    expect(changed.map((user) => user.externalId)).toEqual([oktaUser(2).id, oktaUser(4).id]);
    expect(changed[0]).toMatchObject({
      email: 'User2@Acme.example',
      title: 'Manager',
      active: true,
    });
    expect(removed).toEqual([]);
    expect(urls()).toEqual([`/api/v1/users?limit=200&search=lastUpdated+gt+"${cursor.since}"`]);
    // The next cycle resumes from when Okta answered this one, minus the overlap.
    expect(next).toEqual({ since: at(MINUTE - 5 * MINUTE) });
  });

  it('does not lose a change committed on the boundary of the full cycle', async () => {
    // The full cycle starts at T: its listing already passed user 1 when Okta commits a
    // change to it stamped T, and user 2's, stamped a second earlier by Okta's clock.
    okta.setUsers([oktaUser(1), oktaUser(2), oktaUser(3)]);
    const start = await feed.start(config(), signal);
    okta.setUsers([
      oktaUser(1, { lastUpdated: at(0), status: 'SUSPENDED' }),
      oktaUser(2, { lastUpdated: at(-SECOND), profile: { department: 'Sales' } }),
      oktaUser(3, { lastUpdated: at(-10 * MINUTE) }),
    ]);
    okta.now = () => T + 3600 * SECOND;
    const { changed } = await readSince(start);
    // `gt` on T itself (no overlap) would have dropped user 1, and user 2 with it.
    expect(changed.map((user) => [user.externalId, user.active, user.department])).toEqual([
      [oktaUser(1).id, false, 'Dept1'],
      [oktaUser(2).id, true, 'Sales'],
    ]);
  });

  it('reads deprovisioned and suspended users back as inactive, none as removed', async () => {
    okta.setUsers([
      oktaUser(1, { lastUpdated: at(-MINUTE), status: 'DEPROVISIONED' }),
      oktaUser(2, { lastUpdated: at(-MINUTE), status: 'SUSPENDED' }),
      oktaUser(3, { lastUpdated: at(-MINUTE), status: 'LOCKED_OUT' }),
    ]);
    const { changed, removed } = await readSince(cursor);
    expect(changed.map((user) => user.active)).toEqual([false, false, true]);
    expect(removed).toEqual([]);
  });

  it('follows the Link header through every page and waits out a 429', async () => {
    const users: OktaUserJson[] = Array.from({ length: 450 }, (_, i) =>
      oktaUser(i, { lastUpdated: at(i % 2 ? -MINUTE : -6 * MINUTE) }),
    );
    okta.setUsers([...users, ...users.map((_, i) => oktaUser(450 + i, { lastUpdated: at(0) }))]);
    okta.pageFaults.set(1, { status: 429, reset: 'now' });
    const pages = await all(feed.changes(config(), cursor, signal).users());
    expect(pages.map((page) => page.changed.length)).toEqual([200, 200, 200, 75]);
    expect(pages[0].changed[0].externalId).toBe(oktaUser(1).id);
    expect(urls()).toHaveLength(5);
    expect(urls()[4]).toBe(
      `/api/v1/users?after=600&limit=200&search=lastUpdated+gt+"${cursor.since}"`,
    );
  });

  it('fails with the auth error when Okta refuses the token part-way', async () => {
    okta.setUsers(Array.from({ length: 300 }, (_, i) => oktaUser(i, { lastUpdated: at(0) })));
    okta.pageFaults.set(1, { status: 401 });
    const users = mapPages(feed.changes(config(), cursor, signal).users());
    const { before, error } = await failureOf(users);
    expect(before).toHaveLength(200);
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('Okta refused the credentials (401): Invalid token provided');
  });

  it('hands over to a full cycle when more changed than Okta can search through', async () => {
    okta.setUsers({ count: 50_001, user: (i) => oktaUser(i, { lastUpdated: at(0) }) });
    const changes = feed.changes(config(), cursor, signal);
    let read = 0;
    const error = await (async () => {
      for await (const page of changes.users()) read += page.changed.length;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CursorExpiredError);
    expect((error as Error).message).toBe(
      'more than 50000 changes in Okta since the last cycle: a full cycle reads them',
    );
    // Okta answers 400 past its 50,000th result: the feed stops before asking.
    expect(read).toBe(50_000);
    expect(okta.requests).toHaveLength(250);
  });

  it('refuses a cursor it did not write: the engine runs a full cycle instead', () => {
    const cursors: FeedCursor[] = [
      {},
      { since: 'yesterday' },
      { since: '2026-11-30T12:00:00Z" or id pr' },
    ];
    for (const bad of cursors) {
      expect(() => feed.changes(config(), bad, signal)).toThrow(CursorExpiredError);
    }
    expect(okta.requests).toHaveLength(0);
  });

  it('gives the next cursor only once the users were read', () => {
    expect(() => feed.changes(config(), cursor, signal).next()).toThrow('before users()');
  });
});

describe('Okta change feed: groups', () => {
  const cursor = { since: at(-5 * MINUTE) };
  const group = (n: number, name: string, changed: Record<string, string>, type?: 'BUILT_IN') => {
    const fake = oktaGroup(n, [], { name, type });
    return { ...fake, group: { ...fake.group, ...changed } };
  };

  beforeEach(() => {
    okta.setUsers([]);
    okta.setGroups([
      group(1, 'eng-renamed', { lastUpdated: at(-MINUTE) }),
      group(2, 'eng-joined', { lastMembershipUpdated: at(-MINUTE) }),
      group(3, 'eng-unchanged', {}),
      group(4, 'ops-joined', { lastMembershipUpdated: at(-2 * MINUTE) }),
      group(5, 'Everyone', { lastMembershipUpdated: at(-MINUTE) }, 'BUILT_IN'),
      group(6, 'ops-old', { lastUpdated: at(-6 * MINUTE) }),
    ]);
  });
  afterAll(() => okta.setGroups([]));

  it('reads the groups whose profile or membership changed, none as removed', async () => {
    const { changedGroups, removedGroups } = await readSince(cursor, { syncGroups: true });
    expect(changedGroups).toEqual(['eng-renamed', 'eng-joined', 'ops-joined', 'Everyone']);
    expect(removedGroups).toEqual([]);
    expect(urls()[1]).toBe(
      `/api/v1/groups?limit=1000&search=lastUpdated+gt+"${cursor.since}"+or+` +
        `lastMembershipUpdated+gt+"${cursor.since}"`,
    );
  });

  it("combines the connection's groupFilter with `and`, whatever its own `or`s", async () => {
    const groupFilter = 'profile.name sw "eng-" or profile.name sw "ops-"';
    const { changedGroups } = await readSince(cursor, { syncGroups: true, groupFilter });
    expect(changedGroups).toEqual(['eng-renamed', 'eng-joined', 'ops-joined']);
  });

  it('reads no groups when the connection does not sync them', () => {
    const changes = feed.changes(config({ syncGroups: false }), cursor, signal);
    expect(changes.groups()).toBeUndefined();
  });
});

/** Every page of a feed's stream. */
async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const read: T[] = [];
  for await (const page of pages) read.push(page);
  return read;
}

/** The changed users of a feed's pages, as a stream of pages (for failureOf). */
async function* mapPages(pages: AsyncIterable<UserChanges>) {
  for await (const page of pages) yield page.changed;
}
