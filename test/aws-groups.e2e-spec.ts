import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsIdentityCenterProvider } from '../src/directory/providers/aws-identity-center.provider.js';
import { awsGroup, awsUser, FakeIdentityStore } from './fakes/fake-identitystore.js';
import { failureOf, groupsOf, pagesOf, readAllGroups } from './support/group-reading.js';
import { describeGroupConfig } from './support/group-config-suite.js';

let aws: FakeIdentityStore;
const provider = new AwsIdentityCenterProvider({
  allowPrivateNetworks: true,
  timeoutMs: 5000,
  retryBaseMs: 1,
  maxRetries: 2,
  maxRateLimitWaitMs: 2000,
});
const signal = new AbortController().signal;

const users = Array.from({ length: 250 }, (_, i) => awsUser(i));
const ids = (from: number, to: number) => users.slice(from, to).map((user) => user.UserId);
/** 230 groups (three pages of 100): "All staff" has everyone (three pages of memberships). */
const allStaff = awsGroup(0, ids(0, 250), { DisplayName: 'All staff', Description: undefined });
const groups = [
  allStaff,
  awsGroup(1, ids(0, 3), { DisplayName: 'Eng' }),
  awsGroup(2, ids(3, 5), { DisplayName: 'eng-backend' }),
  ...Array.from({ length: 227 }, (_, i) => awsGroup(i + 3, ids(i, i + 1))),
];
const asGroup = ({ group }: { group: { GroupId: string; DisplayName: string } }) => ({
  externalId: group.GroupId,
  name: group.DisplayName,
});
const config = (extra: Record<string, unknown> = {}) => ({
  region: aws.region,
  identityStoreId: aws.identityStoreId,
  accessKeyId: aws.accessKeyId,
  secretAccessKey: aws.secretAccessKey,
  endpoint: aws.url,
  ...extra,
});
const open = (extra: Record<string, unknown> = {}) =>
  groupsOf(provider.openGroups(config(extra), signal));

beforeAll(async () => {
  aws = new FakeIdentityStore();
  aws.setUsers(users);
  aws.setGroups(groups);
  await aws.start();
});
afterAll(() => aws.stop());
beforeEach(() => {
  aws.faults = [];
  aws.listFaults.clear();
  aws.groupRequests.length = 0;
});

describe('AWS IAM Identity Center groups: ListGroups and ListGroupMemberships', () => {
  it('streams every group, 100 a page, following NextToken', async () => {
    const pages = await pagesOf(open().groups());
    expect(pages.map((page) => page.length)).toEqual([100, 100, 30]);
    expect(aws.groupRequests.map((r) => [r.target, r.body.MaxResults, !!r.body.NextToken])).toEqual(
      [
        ['AWSIdentityStore.ListGroups', 100, false],
        ['AWSIdentityStore.ListGroups', 100, true],
        ['AWSIdentityStore.ListGroups', 100, true],
      ],
    );
    expect(pages[0][0]).toEqual({ externalId: allStaff.group.GroupId, name: 'All staff' });
    expect(pages[0][3]).toEqual({
      externalId: groups[3].group.GroupId,
      name: 'Group 3',
      description: 'Group 3 of Acme',
    });
  });

  it("lists a group's members as UserIds, paged", async () => {
    const pages = await pagesOf(open().members(asGroup(allStaff)));
    expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
    expect(pages.flat()).toEqual(ids(0, 250));
    expect(aws.groupRequests[0]).toMatchObject({
      target: 'AWSIdentityStore.ListGroupMemberships',
      body: {
        IdentityStoreId: aws.identityStoreId,
        GroupId: allStaff.group.GroupId,
        MaxResults: 100,
      },
    });
  });

  it('keeps the groups whose name starts with groupNamePrefix, ignoring case', async () => {
    const read = await readAllGroups(open({ groupNamePrefix: 'ENG' }));
    expect(read.map((group) => [group.name, group.members])).toEqual([
      ['Eng', ids(0, 3)],
      ['eng-backend', ids(3, 5)],
    ]);
  });

  it('waits out throttling (Retry-After) on a membership page, then carries on', async () => {
    aws.listFaults.set(`ListGroupMemberships:${allStaff.group.GroupId}@1`, {
      error: 'ThrottlingException',
      retryAfterSeconds: 0,
    });
    const members = await pagesOf(open().members(asGroup(allStaff)));
    expect(members.flat()).toHaveLength(250);
    expect(aws.groupRequests).toHaveLength(4);
  });

  it('throws when a member list fails half-way, naming the permissions', async () => {
    aws.listFaults.set(`ListGroupMemberships:${allStaff.group.GroupId}@1`, {
      error: 'AccessDeniedException',
    });
    const { before, error } = await failureOf(open().members(asGroup(allStaff)));
    expect(before).toHaveLength(100);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/identitystore:ListGroupMemberships/);
  });

  it('a group deleted since the listing fails its member list as transient', async () => {
    const { error } = await failureOf(open().members({ externalId: 'gone-id', name: 'Gone' }));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(
      /^AWS Identity Center no longer has the group "Gone" \(gone-id\)/,
    );
  });

  it('refuses a wrong secret as auth, and reads no groups when syncGroups is false', async () => {
    const wrong = groupsOf(provider.openGroups(config({ secretAccessKey: 'nope' }), signal));
    expect((await failureOf(wrong.groups())).error.kind).toBe('auth');
    expect(provider.openGroups(config({ syncGroups: false }), signal)).toBeUndefined();
  });
});

describeGroupConfig('an AWS IAM Identity Center connection configures its groups', {
  type: 'aws-identity-center',
  config: () => config(),
  groupConfig: { groupNamePrefix: 'eng' },
  tested: { ok: true, userCount: 100, groupCount: 2 },
});
