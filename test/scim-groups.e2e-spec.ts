import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  ENTERPRISE,
  expectScimError,
  GROUP,
  LIST,
  oktaUser,
  patchOp,
  resource,
  scim,
  scimConnection,
  USER,
  type ScimSetup,
} from './support/scim.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

let t: TestApp;
let s: ScimSetup;
const users: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  s = await scimConnection(t);
  for (const name of ['ann', 'bob', 'cat', 'dan']) {
    const res = await scim(t, s, 'post', '/Users', oktaUser(`${name}@acme.com`)).expect(201);
    users[name] = resource(res).id;
  }
});

afterAll(async () => {
  await t?.close();
});

type Group = Record<string, unknown> & {
  id: string;
  displayName: string;
  members?: { value: string; display: string }[];
  meta: Record<string, string>;
};

const memberIds = (group: Group) => (group.members ?? []).map((m) => m.value).sort();

async function getGroup(id: string): Promise<Group> {
  return (await scim(t, s, 'get', `/Groups/${id}`).expect(200)).body as Group;
}

async function employeesOfGroup(groupId: string): Promise<string[]> {
  const res = await t
    .http()
    .get('/api/employees')
    .query({ groupId })
    .set(bearer(s.company.adminKey))
    .expect(200);
  return (res.body as { items: { id: string }[] }).items.map((e) => e.id).sort();
}

describe('Okta group push', () => {
  it('creates with members, renames, adds and removes members, deletes', async () => {
    const check = await scim(t, s, 'get', '/Groups')
      .query({ filter: 'displayName eq "Engineering"', startIndex: '1', count: '100' })
      .expect(200);
    expect(check.body).toMatchObject({ schemas: [LIST], totalResults: 0, Resources: [] });

    const created = await scim(t, s, 'post', '/Groups', {
      schemas: [GROUP],
      displayName: 'Engineering',
      members: [{ value: users.ann, display: 'ann@acme.com' }, { value: users.bob }],
    }).expect(201);
    const group = created.body as Group;
    expect(group).toMatchObject({ schemas: [GROUP], displayName: 'Engineering' });
    expect(memberIds(group)).toEqual([users.ann, users.bob].sort());
    expect(group.members?.find((m) => m.value === users.ann)?.display).toBe('ann Okta');
    expect(group.meta).toMatchObject({ resourceType: 'Group' });
    expect(group.meta.location).toMatch(new RegExp(`${s.base}/Groups/${group.id}$`));
    expect(created.headers.location).toBe(group.meta.location);
    expect(created.headers.etag).toBe(group.meta.version);
    expect(await employeesOfGroup(group.id)).toEqual([users.ann, users.bob].sort());

    // Okta: rename with a no-path replace that repeats the id.
    await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp({ op: 'replace', value: { id: group.id, displayName: 'Engineers' } }),
    ).expect(204);
    // Okta: membership changes.
    await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp(
        { op: 'add', path: 'members', value: [{ value: users.cat, display: 'cat@acme.com' }] },
        { op: 'remove', path: `members[value eq "${users.ann}"]` },
      ),
    ).expect(204);
    const after = await getGroup(group.id);
    expect(after.displayName).toBe('Engineers');
    expect(memberIds(after)).toEqual([users.bob, users.cat].sort());
    expect(after.meta.version).not.toBe(group.meta.version);
    expect(await employeesOfGroup(group.id)).toEqual([users.bob, users.cat].sort());

    // Okta's full replacement (PUT).
    const put = (
      await scim(t, s, 'put', `/Groups/${group.id}`, {
        schemas: [GROUP],
        id: group.id,
        displayName: 'Engineers',
        members: [{ value: users.dan }],
      }).expect(200)
    ).body as Group;
    expect(memberIds(put)).toEqual([users.dan]);

    await scim(t, s, 'delete', `/Groups/${group.id}`).expect(204);
    expectScimError(await scim(t, s, 'get', `/Groups/${group.id}`), 404);
    expect(await employeesOfGroup(group.id)).toEqual([]);
  });
});

describe('Entra ID group provisioning', () => {
  it('creates empty, adds and removes members with capitalised ops, excludes members', async () => {
    const check = await scim(t, s, 'get', '/Groups')
      .query({ excludedAttributes: 'members', filter: 'displayName eq "Sales"' })
      .expect(200);
    expect((check.body as { totalResults: number }).totalResults).toBe(0);

    const group = (
      await scim(t, s, 'post', '/Groups', {
        schemas: [GROUP],
        externalId: 'entra-sales',
        displayName: 'Sales',
        members: [],
      }).expect(201)
    ).body as Group;

    await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp({
        op: 'Add',
        path: 'members',
        value: [{ value: users.ann }, { value: users.bob }, { value: users.cat }],
      }),
    ).expect(204);
    await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp({ op: 'Remove', path: 'members', value: [{ value: users.bob }] }),
    ).expect(204);
    await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp({ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }),
    ).expect(204);

    const listed = await scim(t, s, 'get', '/Groups')
      .query({ excludedAttributes: 'members', filter: 'DisplayName EQ "sales emea"' })
      .expect(200);
    const body = listed.body as { totalResults: number; Resources: Group[] };
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]).not.toHaveProperty('members');
    expect(body.Resources[0]).toMatchObject({ externalId: 'entra-sales' });

    const one = await scim(t, s, 'get', `/Groups/${group.id}`)
      .query({ excludedAttributes: 'members' })
      .expect(200);
    expect(one.body).not.toHaveProperty('members');
    expect(memberIds(await getGroup(group.id))).toEqual([users.ann, users.cat].sort());

    // Groups that contain a user.
    const ofAnn = await scim(t, s, 'get', '/Groups')
      .query({ filter: `members eq "${users.ann}"` })
      .expect(200);
    expect((ofAnn.body as { Resources: Group[] }).Resources.map((g) => g.id)).toEqual([group.id]);

    // A deleted user leaves its groups.
    await scim(t, s, 'delete', `/Users/${users.cat}`).expect(204);
    expect(memberIds(await getGroup(group.id))).toEqual([users.ann]);

    // Remove all members.
    await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp({ op: 'remove', path: 'members' }),
    ).expect(204);
    expect(memberIds(await getGroup(group.id))).toEqual([]);
  });
});

describe('group errors', () => {
  it('409 uniqueness for a displayName that exists, in any case', async () => {
    await scim(t, s, 'post', '/Groups', { schemas: [GROUP], displayName: 'Finance' }).expect(201);
    expectScimError(
      await scim(t, s, 'post', '/Groups', { schemas: [GROUP], displayName: 'FINANCE' }),
      409,
      'uniqueness',
    );
  });

  it('400 invalidValue for an unknown member, and nothing of the PATCH is applied', async () => {
    const group = (
      await scim(t, s, 'post', '/Groups', {
        schemas: [GROUP],
        displayName: 'Ops',
        members: [{ value: users.ann }],
      }).expect(201)
    ).body as Group;
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Groups/${group.id}`,
        patchOp(
          { op: 'replace', path: 'displayName', value: 'Ops renamed' },
          { op: 'add', path: 'members', value: [{ value: users.bob }] },
          { op: 'add', path: 'members', value: [{ value: randomUUID() }] },
        ),
      ),
      400,
      'invalidValue',
    );
    const after = await getGroup(group.id);
    expect(after.displayName).toBe('Ops');
    expect(memberIds(after)).toEqual([users.ann]);
    expect(after.meta.version).toBe(group.meta.version);

    expectScimError(
      await scim(t, s, 'post', '/Groups', {
        schemas: [GROUP],
        displayName: 'Bad',
        members: [{ value: 'nope' }],
      }),
      400,
      'invalidValue',
    );
    expectScimError(await scim(t, s, 'post', '/Groups', { schemas: [GROUP] }), 400, 'invalidValue');
    expectScimError(
      await scim(t, s, 'patch', `/Groups/${group.id}`, patchOp({ op: 'add', path: 'owner' })),
      400,
      'invalidPath',
    );
  });

  it('another connection cannot see or add members of this one', async () => {
    const other = await scimConnection(t);
    const group = (
      await scim(t, s, 'post', '/Groups', { schemas: [GROUP], displayName: 'Mine' }).expect(201)
    ).body as Group;
    expectScimError(await scim(t, other, 'get', `/Groups/${group.id}`), 404);
    expectScimError(
      await scim(t, other, 'post', '/Groups', {
        schemas: [GROUP],
        displayName: 'Theirs',
        members: [{ value: users.ann }],
      }),
      400,
      'invalidValue',
    );
  });

  it("GET /api/employees?groupId must be a UUID; another company's group lists nobody", async () => {
    await t
      .http()
      .get('/api/employees')
      .query({ groupId: 'x' })
      .set(bearer(s.company.adminKey))
      .expect(400);
  });
});

describe('discovery', () => {
  it('ServiceProviderConfig says what is supported', async () => {
    const res = await scim(t, s, 'get', '/ServiceProviderConfig').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 200 },
      etag: { supported: true },
      sort: { supported: false },
      changePassword: { supported: false },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
    });
  });

  it('ResourceTypes and Schemas list User (with the enterprise extension) and Group', async () => {
    const types = (await scim(t, s, 'get', '/ResourceTypes').expect(200)).body as {
      totalResults: number;
      Resources: { id: string; schema: string }[];
    };
    expect(types.totalResults).toBe(2);
    expect(types.Resources.map((r) => r.schema)).toEqual([USER, GROUP]);
    await scim(t, s, 'get', '/ResourceTypes/User').expect(200);
    const schemas = (await scim(t, s, 'get', '/Schemas').expect(200)).body as {
      Resources: { id: string }[];
    };
    expect(schemas.Resources.map((r) => r.id)).toEqual([USER, ENTERPRISE, GROUP]);
    const user = (await scim(t, s, 'get', `/Schemas/${USER}`).expect(200)).body as {
      attributes: { name: string }[];
    };
    expect(user.attributes.map((a) => a.name)).toContain('userName');
    expectScimError(await scim(t, s, 'get', '/Schemas/urn:nope'), 404);
  });

  it('unknown SCIM routes answer in the SCIM error format', async () => {
    expectScimError(await scim(t, s, 'get', '/Bulk'), 404);
  });
});

describe('rate limit', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await startTestApp({ SCIM_RATE_LIMIT: '3' });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 with Retry-After in SCIM format past SCIM_RATE_LIMIT a minute', async () => {
    const conn = await scimConnection(limited);
    const other = await scimConnection(limited);
    for (let i = 0; i < 3; i++) await scim(limited, conn, 'get', '/Users').expect(200);
    const res = await scim(limited, conn, 'get', '/Users');
    expectScimError(res, 429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Per connection: the other one is not affected.
    await scim(limited, other, 'get', '/Users').expect(200);
  });
});
