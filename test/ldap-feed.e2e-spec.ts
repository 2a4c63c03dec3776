import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'ldapts';
import {
  CursorExpiredError,
  type ChangeSet,
  type DirectoryGroup,
  type DirectoryUser,
  type FeedCursor,
  type GroupChanges,
  type UserChanges,
} from '../src/directory/providers/directory-provider.js';
import { OVERLAP_MS, SKEW_TOLERANCE_MS } from '../src/directory/providers/ldap-feed.js';
import { generalizedTime, parseGeneralizedTime } from '../src/directory/providers/ldap-time.js';
import { LdapProvider } from '../src/directory/providers/ldap.provider.js';
import { groupsOf, pagesOf } from './support/group-reading.js';
import {
  groupDn,
  LDAP_ADMIN,
  LDAP_BASE,
  LDAP_PASSWORD,
  numberedDn as dn,
  numberedPerson as person,
  openLdapUnavailable,
  startOpenLdap,
  type OpenLdap,
} from './support/openldap.js';

const unavailable = openLdapUnavailable();
if (unavailable) console.warn(`LDAP change feed tests skipped: ${unavailable}`);
const describeLdap = unavailable ? describe.skip : describe;

const people = [
  ...Array.from({ length: 9 }, (_, n) => person(n)),
  person(9, { mail: undefined }), // outside the default user filter
];
const provider = new LdapProvider({ allowPrivateNetworks: true, timeoutMs: 5000 });
const feed = provider.feed;
/** Aborted once the spec is done: the readers' idle connections close with it. */
const done = new AbortController();
const signal = done.signal;
afterAll(() => done.abort());

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const read: T[] = [];
  for await (const item of items) read.push(item);
  return read;
}

/** Everything a change set holds, read in the engine's order: users, then groups. */
async function readAll(changes: ChangeSet) {
  const users: UserChanges[] = await collect(changes.users());
  const groupPages = changes.groups();
  const groups: GroupChanges[] = groupPages ? await collect(groupPages) : [];
  return {
    users: users.flatMap((page) => page.changed),
    removedUsers: users.flatMap((page) => page.removed),
    groups: groups.flatMap((page) => page.changed),
    removedGroups: groups.flatMap((page) => page.removed),
    next: changes.next(),
  };
}

const emails = (users: DirectoryUser[]) => users.map((user) => user.email).sort();
const names = (groups: DirectoryGroup[]) => groups.map((group) => group.name).sort();
const timeOf = (cursor: FeedCursor) => parseGeneralizedTime(cursor.changedSince)!;

describeLdap('the LDAP change feed against a real OpenLDAP', () => {
  let ldap: OpenLdap;
  const config = (extra: Record<string, unknown> = {}) => ({
    url: ldap.url,
    bindDN: LDAP_ADMIN,
    bindPassword: LDAP_PASSWORD,
    baseDN: LDAP_BASE,
    ...extra,
  });
  const changesSince = (cursor: FeedCursor, extra: Record<string, unknown> = {}) =>
    readAll(feed.changes(config(extra), cursor, signal));

  /** The server's stamp of an entry's last change. */
  async function stampOf(entryDn: string): Promise<string> {
    const client = new Client({ url: ldap.url });
    await client.bind(LDAP_ADMIN, LDAP_PASSWORD);
    try {
      const { searchEntries } = await client.search(entryDn, {
        scope: 'base',
        attributes: ['modifyTimestamp'],
      });
      return String(searchEntries[0].modifyTimestamp);
    } finally {
      await client.unbind();
    }
  }

  beforeAll(async () => {
    // Every entry is seeded as changed in 2020 (LDAP_SEEDED_AT); the tests' own changes are
    // stamped by the server as they happen.
    ldap = await startOpenLdap(people, [
      { cn: 'staff', objectClass: 'groupOfNames', members: [dn(0), dn(1)] },
      { cn: 'eng', objectClass: 'groupOfNames', members: [dn(2)] },
    ]);
  }, 60_000);
  afterAll(() => ldap.stop());

  it('start, then changes: only the people of the user filter changed since, mapped as a full sync maps them', async () => {
    const before = Date.now();
    const cursor = await feed.start(config({ syncGroups: false }), signal);
    // OpenLDAP does not tell its time: a full cycle's cursor starts a day back on ours.
    expect(timeOf(cursor)).toBeGreaterThan(before - SKEW_TOLERANCE_MS - 2000);
    expect(timeOf(cursor)).toBeLessThanOrEqual(Date.now() - SKEW_TOLERANCE_MS);

    await ldap.modify(dn(1), { title: 'Director' });
    await ldap.modify(dn(2), { sn: 'Renamed' });
    await ldap.modify(dn(9), { title: 'Contractor' }); // no mail: not a user of the filter

    const read = await changesSince(cursor, { syncGroups: false });
    expect(emails(read.users)).toEqual(['user1@acme.test', 'user2@acme.test']);
    expect(read.removedUsers).toEqual([]);
    expect(read.groups).toEqual([]);
    // The same record as the full sync's pages for the same person.
    const full = (await pagesOf(provider.pages(config(), signal))).flat();
    for (const user of read.users) {
      expect(user).toEqual(full.find((candidate) => candidate.email === user.email));
    }
    expect(read.users.find((u) => u.email === 'user2@acme.test')).toMatchObject({
      lastName: 'Renamed',
      active: true,
      externalId: expect.stringMatching(/^[0-9a-f]{8}-/),
    });
  });

  it('keeps a change stamped in the very second of the cursor, and the next cursor never passes the latest change seen', async () => {
    await ldap.modify(dn(3), { title: 'Boundary' });
    const stamp = await stampOf(dn(3));
    const atStamp = await changesSince({ changedSince: stamp });
    expect(emails(atStamp.users)).toContain('user3@acme.test');
    // One second later, the same entry is before the cursor: the filter is `>=` to the second.
    const after = generalizedTime(parseGeneralizedTime(stamp)! + 1000);
    expect(emails((await changesSince({ changedSince: after })).users)).not.toContain(
      'user3@acme.test',
    );

    // The next cursor lies at least OVERLAP_MS before the latest stamp seen, so a change made
    // in the same second right after the reading (the stamps have one-second resolution) is
    // read by the next cycle.
    expect(timeOf(atStamp.next)).toBeLessThanOrEqual(parseGeneralizedTime(stamp)! - OVERLAP_MS);
    await ldap.modify(dn(4), { title: 'Same second' });
    expect(emails((await changesSince(atStamp.next)).users)).toContain('user4@acme.test');
  });

  it('moves the cursor on with the changes it reads, and keeps it where nothing changed', async () => {
    const seeded = { changedSince: '20200101000000Z' };
    // Only the seed (stamped 2020) and nothing since 2021: the cursor stays.
    const only8 = { userFilter: '(uid=user8)', syncGroups: false };
    const nothing = await changesSince({ changedSince: '20210101000000Z' }, only8);
    expect(nothing.users).toEqual([]);
    expect(nothing.next).toEqual({ changedSince: '20210101000000Z' });
    // user8's seed stamp is the latest seen: the cursor resumes OVERLAP_MS before it.
    const seed = await changesSince(seeded, only8);
    expect(emails(seed.users)).toEqual(['user8@acme.test']);
    expect(timeOf(seed.next)).toBeLessThanOrEqual(timeOf(seeded) - OVERLAP_MS);
    expect(timeOf(seed.next)).toBeGreaterThan(timeOf(seeded) - OVERLAP_MS - 60_000);
  });

  it('reads a group whose members changed; its new member list reads with a fresh group reader', async () => {
    await ldap.modify(groupDn('eng'), { member: [dn(2), dn(5)] });
    const cursor = { changedSince: await stampOf(groupDn('eng')) };
    const read = await changesSince(cursor);
    expect(names(read.groups)).toEqual(['eng']); // staff did not change
    expect(read.removedGroups).toEqual([]);

    // The engine re-reads a changed group's members with the connection's GroupReader,
    // which never listed the group: it finds it by its entryUUID.
    const [eng] = read.groups;
    const members = (
      await pagesOf(groupsOf(provider.openGroups(config(), signal)).members(eng))
    ).flat();
    const full = (await pagesOf(provider.pages(config(), signal))).flat();
    const idOf = (n: number) =>
      full.find((user) => user.email === `user${n}@acme.test`)?.externalId;
    expect(members.sort()).toEqual([idOf(2), idOf(5)].sort());
  });

  it('a group that vanished before its members were read is a transient failure of the run', async () => {
    await ldap.modify(groupDn('staff'), { description: 'Everyone' });
    const read = await changesSince({ changedSince: await stampOf(groupDn('staff')) });
    const staff = read.groups.find((group) => group.name === 'staff')!;
    expect(staff.description).toBe('Everyone');
    await ldap.deleteGroup('staff');
    const error = await pagesOf(
      groupsOf(provider.openGroups(config(), signal)).members(staff),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'transient',
      message: expect.stringMatching(/deleted during the sync/),
    });
  });

  it('a person disabled in AD terms comes back inactive; one deleted is not reported', async () => {
    await ldap.modify(dn(6), { userAccountControl: String(512 + 2) });
    const cursor = { changedSince: await stampOf(dn(6)) };
    await ldap.remove(dn(7));
    const read = await changesSince(cursor);
    const disabled = read.users.find((user) => user.email === 'user6@acme.test');
    expect(disabled).toMatchObject({ active: false });
    // LDAP shows no deletions: only a full cycle notices user7 is gone.
    expect(read.removedUsers).toEqual([]);
    expect(emails(read.users)).not.toContain('user7@acme.test');
  });

  it('refuses a cursor without a time: a full cycle follows', () => {
    expect(() => feed.changes(config(), { changedSince: 'yesterday' }, signal)).toThrow(
      CursorExpiredError,
    );
    expect(() => feed.changes(config(), {}, signal)).toThrow(CursorExpiredError);
  });
});

describeLdap('the LDAP change feed against Active Directory (OpenLDAP presenting as AD)', () => {
  let ad: OpenLdap;
  /** The server's fixed time, as its rootDSE tells it. */
  const NOW = '20250101120000.0Z';
  const config = () => ({
    url: ad.url,
    bindDN: LDAP_ADMIN,
    bindPassword: LDAP_PASSWORD,
    baseDN: LDAP_BASE,
  });

  beforeAll(async () => {
    ad = await startOpenLdap(
      Array.from({ length: 5 }, (_, n) => person(n)),
      [
        { cn: 'admins', objectClass: 'group', members: [dn(0)] },
        { cn: 'sales', objectClass: 'group', members: [dn(1)] },
      ],
      { activeDirectory: { currentTime: NOW } },
    );
  }, 60_000);
  afterAll(() => ad.stop());

  it("dates changes by whenChanged and resumes from the server's own time", async () => {
    const cursor = await feed.start(config(), signal);
    // currentTime less the overlap, whatever our clock says.
    expect(cursor).toEqual({ changedSince: '20250101115500Z' });

    // Every entry's modifyTimestamp is 2020 or now: only whenChanged decides.
    await ad.modify(dn(1), { whenChanged: '20250101115500.0Z' }); // at the cursor
    await ad.modify(dn(2), { whenChanged: '20250101115459.0Z' }); // a second before
    await ad.modify(dn(3), { whenChanged: '20250101115900.0Z', userAccountControl: '514' });
    await ad.modify(groupDn('sales'), { whenChanged: '20250101115800.0Z', member: [dn(1), dn(3)] });

    const read = await readAll(feed.changes(config(), cursor, signal));
    expect(emails(read.users)).toEqual(['user1@acme.test', 'user3@acme.test']);
    expect(read.users.find((u) => u.email === 'user3@acme.test')).toMatchObject({ active: false });
    expect(names(read.groups)).toEqual(['sales']);
    expect(read.next).toEqual({ changedSince: '20250101115500Z' });
  });
});
