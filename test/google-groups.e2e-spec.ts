import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GoogleWorkspaceProvider } from '../src/directory/providers/google-workspace.provider.js';
import {
  DIRECTORY_SCOPE,
  FakeGoogle,
  GROUP_SCOPE,
  googleGroup,
  googleUser,
  serviceAccountKeys,
} from './fakes/fake-google.js';
import {
  failureOf,
  groupsOf,
  pagesOf,
  readAllGroups,
  testHttpClient,
} from './support/group-reading.js';
import { describeGroupConfig } from './support/group-config-suite.js';

const SERVICE_ACCOUNT = 'directory-sync@acme-project.iam.gserviceaccount.com';
const ADMIN = 'admin@acme.example';
const keys = serviceAccountKeys();

let google: FakeGoogle;
const provider = new GoogleWorkspaceProvider(testHttpClient());
const signal = new AbortController().signal;

const users = Array.from({ length: 450 }, (_, i) => googleUser(i));
const ids = (from: number, to: number) => users.slice(from, to).map((user) => user.id);
/**
 * 450 groups (three pages of 200): "All staff" has every user (three pages of members) and
 * the CUSTOMER member; "Eng" has users 0–2 and the nested "Eng backend" (users 2–5).
 */
const allStaff = googleGroup(0, [...ids(0, 450), 'customer'], { name: 'All staff' });
const backend = googleGroup(2, ids(2, 6), { name: 'Eng backend', description: '' });
const eng = googleGroup(1, [...ids(0, 3), backend.group.id], { name: 'Eng' });
const groups = [
  allStaff,
  eng,
  backend,
  ...Array.from({ length: 447 }, (_, i) => googleGroup(i + 3, ids(i, i + 1))),
];
const asGroup = ({ group }: { group: { id: string; name: string } }) => ({
  externalId: group.id,
  name: group.name,
});
const membersPath = (group: { group: { id: string } }) =>
  `/admin/directory/v1/groups/${group.group.id}/members`;

const config = (extra: Record<string, unknown> = {}) => ({
  serviceAccountEmail: SERVICE_ACCOUNT,
  privateKey: keys.privateKey,
  delegatedAdminEmail: ADMIN,
  tokenUrl: google.tokenUrl,
  baseUrl: google.url,
  ...extra,
});
const open = (extra: Record<string, unknown> = {}) =>
  groupsOf(provider.openGroups(config(extra), signal));
const query = (index: number) => new URL(google.groupRequests[index].url, google.url).searchParams;

beforeAll(async () => {
  google = new FakeGoogle({
    serviceAccountEmail: SERVICE_ACCOUNT,
    publicKey: keys.publicKey,
    admins: [ADMIN],
  });
  google.setUsers(users);
  google.setGroups(groups);
  await google.start();
});
afterAll(() => google.stop());
beforeEach(() => {
  google.faults = [];
  google.listFaults.clear();
  google.groupRequests.length = 0;
  google.tokenRequests.length = 0;
  google.delegatedScopes = [DIRECTORY_SCOPE, GROUP_SCOPE];
});

describe('Google Workspace groups: groups.list and members.list', () => {
  it('streams every group of my_customer, 200 a page, with the group scope', async () => {
    const pages = await pagesOf(open().groups());
    expect(pages.map((page) => page.length)).toEqual([200, 200, 50]);
    expect(google.groupRequests.map((r) => new URL(r.url, google.url).pathname)).toEqual(
      Array(3).fill('/admin/directory/v1/groups'),
    );
    expect(Object.fromEntries(query(0))).toEqual({
      customer: 'my_customer',
      maxResults: '200',
      fields: 'nextPageToken,groups(id,name,description)',
    });
    expect(query(1).get('pageToken')).toBeTruthy();
    expect(pages[0][0]).toEqual({
      externalId: allStaff.group.id,
      name: 'All staff',
      description: 'Group 0 of Acme',
    });
    expect(pages[0][2]).toEqual({ externalId: backend.group.id, name: 'Eng backend' });
    expect(google.tokenRequests[0].claims?.scope).toBe(`${DIRECTORY_SCOPE} ${GROUP_SCOPE}`);
  });

  it("lists a group's USER members, paged; not the customer, not a nested group", async () => {
    const reader = open();
    const all = await pagesOf(reader.members(asGroup(allStaff)));
    expect(all.map((page) => page.length)).toEqual([200, 200, 50]);
    expect(all.flat()).toEqual(ids(0, 450));
    expect(Object.fromEntries(query(0))).toEqual({
      maxResults: '200',
      fields: 'nextPageToken,members(id,type)',
    });
    expect((await pagesOf(reader.members(asGroup(eng)))).flat()).toEqual(ids(0, 3));
  });

  it("with flattenNestedGroups, a nested group's people are members too", async () => {
    const members = await pagesOf(open({ flattenNestedGroups: true }).members(asGroup(eng)));
    expect(members.flat()).toEqual(ids(0, 6));
    expect(query(0).get('includeDerivedMembership')).toBe('true');
  });

  it('keeps the groups whose name starts with groupNamePrefix, ignoring case', async () => {
    const read = await readAllGroups(open({ groupNamePrefix: 'eng' }));
    expect(read.map((group) => [group.name, group.members])).toEqual([
      ['Eng', ids(0, 3)],
      ['Eng backend', ids(2, 6)],
    ]);
  });

  it('asks for users only, and reads no groups, when syncGroups is false', async () => {
    expect(provider.openGroups(config({ syncGroups: false }), signal)).toBeUndefined();
    google.delegatedScopes = [DIRECTORY_SCOPE];
    const pages = await pagesOf(provider.pages(config({ syncGroups: false }), signal));
    expect(pages.flat()).toHaveLength(450);
    expect(google.tokenRequests[0].claims?.scope).toBe(DIRECTORY_SCOPE);
  });

  it('without the group scope delegated, says which scopes to authorise', async () => {
    google.delegatedScopes = [DIRECTORY_SCOPE];
    // A provider of its own: the one above holds a token with both scopes.
    const fresh = new GoogleWorkspaceProvider(testHttpClient());
    const { error } = await failureOf(groupsOf(fresh.openGroups(config(), signal)).groups());
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(`${DIRECTORY_SCOPE},${GROUP_SCOPE}`);
    expect(error.message).toContain('or set syncGroups to false');
  });

  it('names the admin privilege when the delegated admin may not read groups (403)', async () => {
    google.listFaults.set('/admin/directory/v1/groups@0', { status: 403, reason: 'forbidden' });
    const { error } = await failureOf(open().groups());
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/refused to list groups \(403\).*Groups > Read admin privilege/);
  });

  it('waits out a 403 rate limit and a 429 on member pages, then carries on', async () => {
    google.listFaults.set(`${membersPath(allStaff)}@1`, {
      status: 403,
      reason: 'userRateLimitExceeded',
    });
    google.listFaults.set(`${membersPath(allStaff)}@2`, { status: 429, retryAfter: '0' });
    const members = await pagesOf(open().members(asGroup(allStaff)));
    expect(members.flat()).toHaveLength(450);
    expect(google.groupRequests).toHaveLength(5);
  });

  it('throws when a member list fails half-way, after the pages it had', async () => {
    google.listFaults.set(`${membersPath(allStaff)}@1`, { status: 403, reason: 'forbidden' });
    const { before, error } = await failureOf(open().members(asGroup(allStaff)));
    expect(before).toHaveLength(200);
    expect(error.kind).toBe('auth');
  });

  it('a group deleted since the listing fails its member list as transient', async () => {
    const { error } = await failureOf(open().members({ externalId: '03xgone', name: 'Gone' }));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/^Google Workspace no longer has the group "Gone"/);
  });
});

describeGroupConfig('a Google Workspace connection configures its groups', {
  type: 'google-workspace',
  config: () => config(),
  groupConfig: { groupNamePrefix: 'Eng', flattenNestedGroups: true },
  tested: { ok: true, userCount: 450, groupCount: 2 },
});
