import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { EntraIdProvider } from '../src/directory/providers/entra-id.provider.js';
import { FakeEntra, graphGroup, graphUser } from './fakes/fake-entra.js';
import {
  failureOf,
  groupsOf,
  pagesOf,
  readAllGroups,
  testHttpClient,
} from './support/group-reading.js';
import { describeGroupConfig } from './support/group-config-suite.js';

let entra: FakeEntra;
const provider = new EntraIdProvider(testHttpClient());
const signal = new AbortController().signal;

const users = Array.from({ length: 1100 }, (_, i) => graphUser(i));
const ids = (from: number, to: number) => users.slice(from, to).map((user) => user.id);
/**
 * 1,200 groups (two pages of 999): "All staff" has every user (two pages of members);
 * "Engineering" has users 0–2 and the nested "eng-backend" (users 2–5), itself holding
 * "eng-db" (user 9) and, in a cycle, "Engineering" again.
 */
const allStaff = graphGroup(0, ids(0, 1100), { displayName: 'All staff', description: null });
const engineering = graphGroup(1, [...ids(0, 3), graphGroup(2, []).group.id], {
  displayName: 'eng',
});
const backend = graphGroup(2, [...ids(2, 6), graphGroup(3, []).group.id, engineering.group.id], {
  displayName: 'eng-backend',
});
const database = graphGroup(3, ids(9, 10), { displayName: 'eng-db' });
const groups = [
  allStaff,
  engineering,
  backend,
  database,
  ...Array.from({ length: 1196 }, (_, i) => graphGroup(i + 4, ids(i, i + 1))),
];
const SELECT = '$select=id,displayName,description&$top=999';
const membersPath = (group: { group: { id: string } }, relation = 'members') =>
  `/v1.0/groups/${group.group.id}/${relation}/microsoft.graph.user`;

const config = (extra: Record<string, unknown> = {}) => entra.connectionConfig(extra);
const open = (extra: Record<string, unknown> = {}) =>
  groupsOf(provider.openGroups(config(extra), signal));
const asGroup = ({ group }: { group: { id: string; displayName: string } }) => ({
  externalId: group.id,
  name: group.displayName,
});

beforeAll(async () => {
  entra = new FakeEntra({ users, groups });
  await entra.start();
});
afterAll(() => entra.stop());
beforeEach(() => entra.reset());

describe('Entra ID groups: GET /v1.0/groups and /groups/{id}/members/microsoft.graph.user', () => {
  it('streams every group with $select/$top, following @odata.nextLink', async () => {
    const pages = await pagesOf(open().groups());
    expect(pages.map((page) => page.length)).toEqual([999, 201]);
    expect(entra.graphRequests.map((r) => r.url)).toEqual([
      `/v1.0/groups?${SELECT}`,
      expect.stringMatching(
        /^\/v1\.0\/groups\?\$select=id,displayName,description&\$top=999&\$skiptoken=\S+$/,
      ),
    ]);
    expect(pages[0][0]).toEqual({ externalId: allStaff.group.id, name: 'All staff' });
    expect(pages[0][10]).toEqual({
      externalId: groups[10].group.id,
      name: 'Group 10',
      description: 'Group 10 of Contoso',
    });
  });

  it("lists a group's direct user members, paged; nested groups are not flattened", async () => {
    const reader = open();
    const all = await pagesOf(reader.members(asGroup(allStaff)));
    expect(all.map((page) => page.length)).toEqual([999, 101]);
    expect(all.flat()).toEqual(ids(0, 1100));
    expect(entra.graphRequests[0].url).toBe(`${membersPath(allStaff)}?$select=id&$top=999`);
    expect((await pagesOf(reader.members(asGroup(engineering)))).flat()).toEqual(ids(0, 3));
  });

  it('with flattenNestedGroups, lists the users of nested groups too, each once', async () => {
    const reader = open({ flattenNestedGroups: true });
    const members = (await pagesOf(reader.members(asGroup(engineering)))).flat();
    expect(members).toEqual([...ids(0, 3), ...ids(3, 6), ...ids(9, 10)]);
    expect(entra.graphRequests[0].url).toBe(
      `${membersPath(engineering, 'transitiveMembers')}?$select=id&$top=999`,
    );
  });

  it('selects groups with the groupFilter, sent as $filter', async () => {
    const read = await readAllGroups(open({ groupFilter: "startswith(displayName,'eng')" }));
    expect(read.map((group) => [group.name, group.members])).toEqual([
      ['eng', ids(0, 3)],
      ['eng-backend', ids(2, 6)],
      ['eng-db', ids(9, 10)],
    ]);
    expect(entra.graphRequests[0].url).toBe(
      `/v1.0/groups?${SELECT}&$filter=startswith(displayName%2C%27eng%27)`,
    );
  });

  it('refuses a $filter Graph does not support as a configuration error', async () => {
    const { error } = await failureOf(open({ groupFilter: "endswith(mail,'x')" }).groups());
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/^Microsoft Graph answered 400: Unsupported or invalid query/);
  });

  it('says which permission is missing when Graph refuses the groups (403)', async () => {
    entra.graphFaults = [{ status: 403 }];
    const { error } = await failureOf(open().groups());
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(
      /needs the Microsoft Graph application permission GroupMember\.Read\.All/,
    );
  });

  it('waits out a 429 with Retry-After on a member page, then carries on', async () => {
    entra.listFaults.set(`${membersPath(allStaff)}@1`, { status: 429, retryAfter: 0 });
    const members = await pagesOf(open().members(asGroup(allStaff)));
    expect(members.flat()).toHaveLength(1100);
    expect(entra.graphRequests).toHaveLength(3);
  });

  it('throws when a member list fails half-way, after the pages it had', async () => {
    entra.listFaults.set(`${membersPath(allStaff)}@1`, { status: 403 });
    const { before, error } = await failureOf(open().members(asGroup(allStaff)));
    expect(before).toHaveLength(999);
    expect(error.kind).toBe('auth');
  });

  it('a group deleted since the listing fails its member list as transient', async () => {
    const { error } = await failureOf(open().members({ externalId: 'deleted-id', name: 'Gone' }));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/^Microsoft Graph no longer has the group "Gone" \(deleted-id\)/);
  });

  it('reads no groups when syncGroups is false', () => {
    expect(provider.openGroups(config({ syncGroups: false }), signal)).toBeUndefined();
  });
});

describeGroupConfig('an Entra ID connection configures its groups', {
  type: 'entra-id',
  config: () => config(),
  groupConfig: { groupFilter: "startswith(displayName,'eng')", flattenNestedGroups: true },
  tested: { ok: true, userCount: 999, groupCount: 3 },
});
