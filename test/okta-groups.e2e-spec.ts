import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { OktaProvider } from '../src/directory/providers/okta.provider.js';
import { FakeOkta, oktaGroup, oktaUser } from './fakes/fake-okta.js';
import {
  failureOf,
  groupsOf,
  pagesOf,
  readAllGroups,
  testHttpClient,
} from './support/group-reading.js';
import { describeGroupConfig } from './support/group-config-suite.js';
import { bearer } from './support/test-app.js';

let okta: FakeOkta;
const provider = new OktaProvider(testHttpClient(), 2000);
const signal = new AbortController().signal;

const users = Array.from({ length: 1500 }, (_, i) => oktaUser(i));
const ids = (from: number, to: number) => users.slice(from, to).map((user) => user.id);
/** 2,500 groups: three pages of 1,000; group 0 has every user (two pages of members). */
const groups = Array.from({ length: 2500 }, (_, g) =>
  g === 0
    ? oktaGroup(0, ids(0, 1500), { name: 'Everyone', type: 'BUILT_IN', description: null })
    : oktaGroup(g, ids(g % 1500, (g % 1500) + 3), { name: g < 10 ? `eng-${g}` : `Group ${g}` }),
);
const config = (extra: Record<string, unknown> = {}) => ({
  orgUrl: okta.url,
  apiToken: okta.apiToken,
  ...extra,
});
const open = (extra: Record<string, unknown> = {}) =>
  groupsOf(provider.openGroups(config(extra), signal));

beforeAll(async () => {
  okta = new FakeOkta({ users, groups });
  await okta.start();
});
afterAll(() => okta.stop());
beforeEach(() => {
  okta.faults = [];
  okta.listFaults.clear();
  okta.requests.length = 0;
});

describe('Okta groups: GET /api/v1/groups and /api/v1/groups/{id}/users', () => {
  it('streams every group a page at a time, following the Link header', async () => {
    const pages = await pagesOf(open().groups());
    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 500]);
    expect(okta.requests.map((r) => r.url)).toEqual([
      '/api/v1/groups?limit=1000',
      '/api/v1/groups?after=1000&limit=1000',
      '/api/v1/groups?after=2000&limit=1000',
    ]);
    expect(okta.requests.every((r) => r.authorization === `SSWS ${okta.apiToken}`)).toBe(true);
    expect(pages[0][0]).toEqual({ externalId: groups[0].group.id, name: 'Everyone' });
    expect(pages[0][12]).toEqual({
      externalId: groups[12].group.id,
      name: 'Group 12',
      description: 'Group 12 of Acme',
    });
  });

  it("lists a group's members as the users' ids, paged", async () => {
    const reader = open();
    const everyone = { externalId: groups[0].group.id, name: 'Everyone' };
    const pages = await pagesOf(reader.members(everyone));
    expect(pages.map((page) => page.length)).toEqual([1000, 500]);
    expect(pages.flat()).toEqual(ids(0, 1500));
    expect(okta.requests.map((r) => r.url)).toEqual([
      `/api/v1/groups/${everyone.externalId}/users?limit=1000`,
      `/api/v1/groups/${everyone.externalId}/users?after=1000&limit=1000`,
    ]);
  });

  it('selects groups with the groupFilter, sent as Okta search', async () => {
    const read = await readAllGroups(open({ groupFilter: 'profile.name sw "eng-"' }));
    expect(read.map((group) => group.name)).toEqual(
      Array.from({ length: 9 }, (_, i) => `eng-${i + 1}`),
    );
    expect(read[0].members).toEqual(ids(1, 4));
    expect(okta.requests[0].url).toBe(
      '/api/v1/groups?limit=1000&search=profile.name+sw+%22eng-%22',
    );
  });

  it('refuses a search Okta does not understand as a configuration error', async () => {
    const { before, error } = await failureOf(open({ groupFilter: 'name like "x"' }).groups());
    expect(before).toEqual([]);
    expect(error.kind).toBe('config');
    expect(error.message).toBe('Okta answered 400: Invalid search criteria.');
  });

  it('waits out a 429 until the rate-limit reset, then carries on', async () => {
    okta.listFaults.set('/api/v1/groups@1', { status: 429, reset: 'now' });
    const pages = await pagesOf(open().groups());
    expect(pages.flat()).toHaveLength(2500);
    expect(okta.requests).toHaveLength(4);
  });

  it('gives up on a 429 whose reset is too far away, with the wait for the queue', async () => {
    const reset = Math.floor(Date.now() / 1000) + 600;
    okta.listFaults.set('/api/v1/groups@0', { status: 429, reset });
    const { error } = await failureOf(open().groups());
    expect(error.kind).toBe('transient');
    expect(error.retryAfterMs).toBeGreaterThan(500_000);
  });

  it('throws when a member list fails half-way, after the pages it had', async () => {
    const everyone = { externalId: groups[0].group.id, name: 'Everyone' };
    okta.listFaults.set(`/api/v1/groups/${everyone.externalId}/users@1`, { status: 401 });
    const { before, error } = await failureOf(open().members(everyone));
    expect(before).toHaveLength(1000);
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('Okta refused the credentials (401): Invalid token provided');
  });

  it('retries a 5xx on a member page; a group deleted since the listing is transient', async () => {
    okta.faults = [{ status: 503 }];
    const members = await pagesOf(open().members({ externalId: groups[5].group.id, name: '' }));
    expect(members.flat()).toEqual(groups[5].memberIds);
    const gone = await failureOf(open().members({ externalId: '00gnothere', name: 'Gone' }));
    expect(gone.error.kind).toBe('transient');
    expect(gone.error.message).toBe(
      'Okta no longer has the group "Gone" (00gnothere): it was deleted during the sync',
    );
  });

  it('refuses a wrong token on groups as an auth error', async () => {
    const reader = groupsOf(provider.openGroups(config({ apiToken: 'wrong' }), signal));
    expect((await failureOf(reader.groups())).error.kind).toBe('auth');
  });

  it('reads no groups when syncGroups is false', () => {
    expect(provider.openGroups(config({ syncGroups: false }), signal)).toBeUndefined();
    expect(provider.openGroups(config({ syncGroups: true }), signal)).toBeDefined();
    expect(okta.requests).toEqual([]);
  });
});

describeGroupConfig('an Okta connection configures its groups', {
  type: 'okta',
  config: () => config(),
  groupConfig: { syncGroups: true, groupFilter: 'type eq "OKTA_GROUP"' },
  tested: { ok: true, userCount: 200, groupCount: 1000 },
  more: ({ app, company, harness }) => {
    it('tests users only when syncGroups is false', async () => {
      const id = await harness.createConnection({ syncGroups: false });
      expect(await harness.testConnection(id)).toEqual({ ok: true, userCount: 200 });
      expect(okta.requests.map((r) => r.url)).toEqual(['/api/v1/users?limit=200']);
    });

    it('refuses a syncGroups that is not a boolean and an empty groupFilter, naming each', async () => {
      const res = await app()
        .http()
        .post('/api/directory')
        .set(bearer(company().adminKey))
        .send({
          name: 'Okta',
          type: 'okta',
          config: config({ syncGroups: 'yes', groupFilter: '' }),
        })
        .expect(400);
      expect(JSON.stringify(res.body)).toContain('config.syncGroups must be a boolean value');
      expect(JSON.stringify(res.body)).toContain('config.groupFilter should not be empty');
      const list = await app()
        .http()
        .get('/api/directory')
        .set(bearer(company().adminKey))
        .expect(200);
      expect((list.body as { items: unknown[] }).items).toHaveLength(2);
    });
  },
});
