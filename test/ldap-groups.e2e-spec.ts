import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DirectoryGroup } from '../src/directory/providers/directory-provider.js';
import { LdapProvider } from '../src/directory/providers/ldap.provider.js';
import { failureOf, groupsOf, pagesOf, readAllGroups } from './support/group-reading.js';
import {
  groupDn,
  LDAP_ADMIN,
  LDAP_BASE,
  LDAP_PASSWORD,
  numberedDn as dn,
  numberedPerson as person,
  openLdapUnavailable,
  personDn,
  startOpenLdap,
  type LdapGroup,
  type OpenLdap,
} from './support/openldap.js';
import { describeGroupConfig } from './support/group-config-suite.js';

const unavailable = openLdapUnavailable();
if (unavailable) console.warn(`LDAP group tests skipped: ${unavailable}`);
const describeLdap = unavailable ? describe.skip : describe;

const people = [
  ...Array.from({ length: 1200 }, (_, n) => person(n)),
  person(1200, { mail: undefined }), // outside the default user filter
];
/**
 * 602 groups (two pages of 500): "staff" (groupOfNames) has all 1,200 people (six batches);
 * "eng" (groupOfUniqueNames) spells DNs its own way, with an optional UID, and also holds a
 * nested group, a person outside the user filter and a dangling DN; "admins" is an AD group.
 */
const groups: LdapGroup[] = [
  {
    cn: 'staff',
    objectClass: 'groupOfNames',
    description: 'Everyone',
    members: people.slice(0, 1200).map((p) => personDn(p)),
  },
  {
    cn: 'eng',
    objectClass: 'groupOfUniqueNames',
    members: [
      `UID=User1, OU=People,${LDAP_BASE.toUpperCase()}`,
      `${dn(2)}#'0101'B`,
      dn(3),
      groupDn('admins'),
      dn(1200),
      `uid=ghost,ou=people,${LDAP_BASE}`,
    ],
  },
  { cn: 'admins', objectClass: 'group', members: [dn(4), dn(5)] },
  ...Array.from({ length: 599 }, (_, i): LdapGroup => ({
    cn: `team${i}`,
    objectClass: 'groupOfNames',
    members: [dn(i)],
  })),
];

describeLdap('LDAP groups against a real OpenLDAP', () => {
  let ldap: OpenLdap;
  const provider = new LdapProvider({ allowPrivateNetworks: true, timeoutMs: 5000 });
  const signal = new AbortController().signal;
  /** entryUUID of each person, as the user sync reads it. */
  const idOf = new Map<string, string>();
  const config = (extra: Record<string, unknown> = {}) => ({
    url: ldap.url,
    bindDN: LDAP_ADMIN,
    bindPassword: LDAP_PASSWORD,
    baseDN: LDAP_BASE,
    ...extra,
  });
  const open = (extra: Record<string, unknown> = {}) =>
    groupsOf(provider.openGroups(config(extra), signal));
  const ids = (...numbers: number[]) => numbers.map((n) => idOf.get(`user${n}@acme.test`));

  beforeAll(async () => {
    ldap = await startOpenLdap(people, groups);
    for await (const page of provider.pages(config(), signal)) {
      for (const user of page) idOf.set(user.email!, user.externalId);
    }
    expect(idOf.size).toBe(1200);
  }, 60_000);
  afterAll(() => ldap.stop());

  it('lists groupOfNames, groupOfUniqueNames and AD group entries, paged', async () => {
    const pages = await pagesOf(open().groups());
    expect(pages.map((page) => page.length)).toEqual([500, 102]);
    const [staff, eng, admins] = pages[0];
    expect(staff).toEqual({
      externalId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-/),
      name: 'staff',
      description: 'Everyone',
    });
    expect([eng.name, admins.name]).toEqual(['eng', 'admins']);
    expect(eng).not.toHaveProperty('description');
  });

  it("resolves a group's member DNs to the people's external ids, in batches", async () => {
    const reader = open();
    const [staff] = (await pagesOf(reader.groups())).flat();
    const pages = await pagesOf(reader.members(staff));
    expect(pages.map((page) => page.length)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(pages.flat())).toEqual(new Set(idOf.values()));
  });

  it('matches DNs however spelled, and leaves out nested groups, non-people and dangling DNs', async () => {
    const read = await readAllGroups(open({ groupFilter: '(|(cn=eng)(cn=admins))' }));
    expect(read.map((group) => [group.name, new Set(group.members)])).toEqual([
      ['eng', new Set(ids(1, 2, 3))],
      ['admins', new Set(ids(4, 5))],
    ]);
  });

  it('searches groupBaseDN with groupFilter, and reads the configured attributes', async () => {
    const read = await readAllGroups(
      open({
        groupBaseDN: `ou=groups,${LDAP_BASE}`,
        groupFilter: '(objectClass=groupOfUniqueNames)',
        groupAttributes: {
          name: 'cn',
          description: 'cn',
          externalId: 'cn',
          member: 'uniqueMember',
        },
      }),
    );
    expect(read).toEqual([
      {
        externalId: 'eng',
        name: 'eng',
        description: 'eng',
        members: expect.arrayContaining(ids(1, 2, 3)),
      },
    ]);
  });

  it('a group deleted since the listing fails its member list as transient', async () => {
    await ldap.deleteGroup('team598');
    const reader = open({ groupFilter: '(cn=team59*)' });
    const listed = (await pagesOf(reader.groups())).flat();
    expect(listed.map((g) => g.name)).toEqual([
      'team59',
      ...Array.from({ length: 8 }, (_, i) => `team59${i}`),
    ]);
    await ldap.deleteGroup('team597');
    const gone = listed.find((g) => g.name === 'team597')!;
    const { error } = await failureOf(reader.members(gone));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/^the LDAP server no longer has the group "team597"/);
  });

  it('refuses a wrong password as auth, and reads no groups when syncGroups is false', async () => {
    const wrong = groupsOf(provider.openGroups(config({ bindPassword: 'nope' }), signal));
    expect((await failureOf(wrong.groups())).error.kind).toBe('auth');
    expect(provider.openGroups(config({ syncGroups: false }), signal)).toBeUndefined();
  });

  describeGroupConfig('an LDAP connection configures its groups', {
    type: 'ldap',
    config: () => config(),
    groupConfig: {
      groupBaseDN: `ou=groups,${LDAP_BASE}`,
      groupFilter: '(cn=team1*)',
      groupAttributes: { name: 'cn', member: 'member' },
    },
    tested: { ok: true, userCount: 500, groupCount: 111 },
  });

  // Last: it stops the server.
  it('throws when a member list fails half-way, after the batches it had', async () => {
    const reader = open();
    const [staff] = (await pagesOf<DirectoryGroup>(reader.groups())).flat();
    const members = reader.members(staff)[Symbol.asyncIterator]();
    expect((await members.next()).value).toHaveLength(200);
    await ldap.stop();
    const { before, error } = await failureOf({ [Symbol.asyncIterator]: () => members });
    expect(before).toEqual([]);
    expect(error.kind).toBe('transient');
  });
});
