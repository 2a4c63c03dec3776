import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  ENTERPRISE,
  expectScimError,
  LIST,
  oktaUser,
  patchOp,
  resource,
  rosterPage,
  scim,
  scimConnection,
  USER,
  type EmployeeView,
  type ScimSetup,
} from './support/scim.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
} from './support/test-app.js';

let t: TestApp;
let s: ScimSetup;

beforeAll(async () => {
  t = await startTestApp();
  s = await scimConnection(t);
});

afterAll(async () => {
  await t?.close();
});

async function employee(email: string): Promise<EmployeeView | undefined> {
  return (await rosterPage(t, s, { email })).items[0];
}

describe('authentication', () => {
  it('answers 401 in the SCIM error format without a token, with a wrong one, or an API key', async () => {
    expectScimError(await t.http().get(`${s.base}/Users`), 401);
    expectScimError(await t.http().get(`${s.base}/Users`).set(bearer('scim_wrong')), 401);
    expectScimError(await t.http().get(`${s.base}/Users`).set(bearer(s.company.adminKey)), 401);
  });

  it('answers the same 401 for another connection, an unknown id, and a non-scim connection', async () => {
    const other = await scimConnection(t);
    expectScimError(await t.http().get(`${other.base}/Users`).set(bearer(s.token)), 401);
    expectScimError(await t.http().get(`/scim/v2/${randomUUID()}/Users`).set(bearer(s.token)), 401);
    expectScimError(await t.http().get(`/scim/v2/not-a-uuid/Users`).set(bearer(s.token)), 401);
    const okta = await t
      .http()
      .post('/api/directory')
      .set(bearer(s.company.adminKey))
      .send({
        name: 'Okta',
        type: 'okta',
        config: { orgUrl: 'https://acme.okta.com', apiToken: '00abc' },
      })
      .expect(201);
    const oktaId = (okta.body as { id: string }).id;
    expectScimError(await t.http().get(`/scim/v2/${oktaId}/Users`).set(bearer(s.token)), 401);
  });

  it('rotates the token: shown once, the old one stops working', async () => {
    const own = await scimConnection(t, s.company);
    await scim(t, own, 'get', '/Users').expect(200);
    const res = await t
      .http()
      .post(`/api/directory/${own.connectionId}/scim-token`)
      .set(bearer(s.company.adminKey))
      .expect(200);
    const { scimToken } = res.body as { scimToken: string };
    expect(scimToken).toMatch(/^scim_/);
    expectScimError(await scim(t, own, 'get', '/Users'), 401);
    await scim(t, { ...own, token: scimToken }, 'get', '/Users').expect(200);
  });

  it('token rotation: 404 for another company, 409 for a non-scim connection, 403 for viewers', async () => {
    const other = await createCompany(t, 'Other');
    await t
      .http()
      .post(`/api/directory/${s.connectionId}/scim-token`)
      .set(bearer(other.adminKey))
      .expect(404);
    const viewer = await createKey(t, s.company.adminKey, 'viewer');
    await t
      .http()
      .post(`/api/directory/${s.connectionId}/scim-token`)
      .set(bearer(viewer.key))
      .expect(403);
    const okta = await t
      .http()
      .post('/api/directory')
      .set(bearer(s.company.adminKey))
      .send({
        name: 'Okta 2',
        type: 'okta',
        config: { orgUrl: 'https://acme.okta.com', apiToken: '00abc' },
      })
      .expect(201);
    await t
      .http()
      .post(`/api/directory/${(okta.body as { id: string }).id}/scim-token`)
      .set(bearer(s.company.adminKey))
      .expect(409);
  });
});

describe('Okta provisioning sequence', () => {
  it('checks by filter, creates, reads, updates with PUT, deactivates, reactivates', async () => {
    // 1. Okta asks whether the user exists: an empty ListResponse, not a 404.
    const check = await scim(t, s, 'get', '/Users')
      .query({ filter: 'userName eq "ada@acme.com"', startIndex: '1', count: '100' })
      .expect(200);
    expect(check.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(check.body).toEqual({
      schemas: [LIST],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });

    // 2. Create.
    const created = await scim(t, s, 'post', '/Users', oktaUser('ada@acme.com')).expect(201);
    const user = resource(created);
    expect(user).toMatchObject({
      // The enterprise extension is listed only when the user has some of it.
      schemas: [USER],
      userName: 'ada@acme.com',
      externalId: '00uada',
      name: { givenName: 'ada', familyName: 'Okta' },
      displayName: 'ada Okta',
      emails: [{ value: 'ada@acme.com', type: 'work', primary: true }],
      active: true,
    });
    expect(user).not.toHaveProperty('password');
    expect(user.meta.resourceType).toBe('User');
    expect(user.meta.location).toMatch(new RegExp(`${s.base}/Users/${user.id}$`));
    expect(created.headers.location).toBe(user.meta.location);
    expect(created.headers.etag).toBe(user.meta.version);
    expect(user.meta.version).toMatch(/^W\/"\d+"$/);
    expect(Date.parse(user.meta.created)).not.toBeNaN();
    expect(user.meta.lastModified).toBe(user.meta.created);

    // 3. Read back; the same filter now finds it.
    const got = resource(await scim(t, s, 'get', `/Users/${user.id}`).expect(200));
    expect(got).toEqual(user);
    const found = await scim(t, s, 'get', '/Users')
      .query({ filter: 'userName eq "ADA@acme.com"' })
      .expect(200);
    expect((found.body as { totalResults: number }).totalResults).toBe(1);

    // 4. Profile update with PUT (Okta sends the whole user).
    const put = resource(
      await scim(t, s, 'put', `/Users/${user.id}`, {
        ...oktaUser('ada@acme.com', { title: 'Engineer' }),
        id: user.id,
        name: { givenName: 'Ada', familyName: 'Lovelace' },
      }).expect(200),
    );
    expect(put).toMatchObject({ title: 'Engineer', name: { givenName: 'Ada' } });
    expect(put.meta.version).not.toBe(user.meta.version);
    expect(put.meta.created).toBe(user.meta.created);
    expect(Date.parse(put.meta.lastModified)).toBeGreaterThanOrEqual(
      Date.parse(user.meta.lastModified),
    );

    // 5. Deactivation: PATCH without a path, value object.
    const off = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'replace', value: { active: false } }),
      ).expect(200),
    );
    expect(off.active).toBe(false);
    const roster = await employee('ada@acme.com');
    expect(roster).toMatchObject({
      id: user.id,
      active: false,
      connectionId: s.connectionId,
      firstName: 'Ada',
      lastName: 'Lovelace',
      title: 'Engineer',
      externalId: '00uada',
    });
    expect(roster?.deactivatedAt).not.toBeNull();

    // 6. Reactivation.
    await scim(
      t,
      s,
      'patch',
      `/Users/${user.id}`,
      patchOp({ op: 'replace', value: { active: true } }),
    ).expect(200);
    expect(await employee('ada@acme.com')).toMatchObject({ active: true, deactivatedAt: null });
  });
});

describe('Entra ID provisioning sequence', () => {
  it('creates with the enterprise extension, patches like Entra, deletes, re-creates', async () => {
    const check = await scim(t, s, 'get', '/Users')
      .query({ filter: 'userName eq "grace@acme.com"' })
      .expect(200);
    expect((check.body as { totalResults: number }).totalResults).toBe(0);

    const created = resource(
      await scim(t, s, 'post', '/Users', {
        schemas: [USER, ENTERPRISE],
        externalId: 'a1b2c3',
        userName: 'grace@acme.com',
        active: true,
        displayName: 'Grace Hopper',
        emails: [{ primary: true, type: 'work', value: 'grace@acme.com' }],
        meta: { resourceType: 'User' },
        name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
        title: 'Rear Admiral',
        [ENTERPRISE]: { department: 'Navy' },
      }).expect(201),
    );
    expect(created[ENTERPRISE]).toEqual({ department: 'Navy' });
    const boss = resource(
      await scim(t, s, 'post', '/Users', oktaUser('boss.hopper@acme.com')).expect(201),
    );

    // Entra: capitalised ops, paths with filters, the manager as a bare id, "False" strings.
    const patched = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${created.id}`,
        patchOp(
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'g.hopper@acme.com' },
          { op: 'Replace', path: 'name.givenName', value: 'Gracie' },
          { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Computing' },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: boss.id },
          { op: 'Replace', path: 'active', value: 'False' },
        ),
      ).expect(200),
    );
    expect(patched).toMatchObject({
      emails: [{ value: 'g.hopper@acme.com', primary: true }],
      name: { givenName: 'Gracie', familyName: 'Hopper' },
      active: false,
      [ENTERPRISE]: { department: 'Computing', manager: { value: boss.id } },
    });
    expect(await employee('g.hopper@acme.com')).toMatchObject({
      id: created.id,
      active: false,
      department: 'Computing',
      firstName: 'Gracie',
    });

    // Entra's multi-attribute replace without a path, with dotted keys.
    const multi = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${created.id}`,
        patchOp({
          op: 'replace',
          value: { 'name.familyName': 'Murray', displayName: 'G. Murray', active: 'True' },
        }),
      ).expect(200),
    );
    expect(multi).toMatchObject({
      name: { familyName: 'Murray' },
      displayName: 'G. Murray',
      active: true,
    });

    // Removing the manager.
    const noManager = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${created.id}`,
        patchOp({ op: 'Remove', path: `${ENTERPRISE}:manager` }),
      ).expect(200),
    );
    expect(noManager[ENTERPRISE]).toEqual({ department: 'Computing' });

    // DELETE deactivates; SCIM no longer knows the user; the roster keeps them.
    await scim(t, s, 'delete', `/Users/${created.id}`).expect(204);
    expectScimError(await scim(t, s, 'get', `/Users/${created.id}`), 404);
    expectScimError(
      await scim(t, s, 'patch', `/Users/${created.id}`, patchOp({ op: 'replace', value: {} })),
      404,
    );
    expectScimError(await scim(t, s, 'delete', `/Users/${created.id}`), 404);
    const gone = await scim(t, s, 'get', '/Users')
      .query({ filter: 'userName eq "grace@acme.com"' })
      .expect(200);
    expect((gone.body as { totalResults: number }).totalResults).toBe(0);
    expect(await employee('g.hopper@acme.com')).toMatchObject({ active: false });

    // Re-POST reactivates the same person.
    const again = resource(
      await scim(t, s, 'post', '/Users', {
        schemas: [USER],
        userName: 'grace@acme.com',
        emails: [{ primary: true, type: 'work', value: 'g.hopper@acme.com' }],
        active: true,
      }).expect(201),
    );
    expect(again.id).toBe(created.id);
    expect(await employee('g.hopper@acme.com')).toMatchObject({
      active: true,
      deactivatedAt: null,
    });
  });
});

describe('filters and paging', () => {
  let conn: ScimSetup;
  const ids: string[] = [];

  beforeAll(async () => {
    conn = await scimConnection(t);
    for (const n of [1, 2, 3, 4, 5]) {
      const res = await scim(
        t,
        conn,
        'post',
        '/Users',
        oktaUser(`user${n}@beta.com`, { externalId: `ext-${n}`, displayName: `User ${n}` }),
      ).expect(201);
      ids.push(resource(res).id);
    }
  });

  const list = async (query: Record<string, string>) => {
    const res = await scim(t, conn, 'get', '/Users').query(query).expect(200);
    return res.body as {
      schemas: string[];
      totalResults: number;
      startIndex: number;
      itemsPerPage: number;
      Resources: { id: string; userName: string }[];
    };
  };

  it.each([
    ['userName eq "user2@beta.com"', 'user2@beta.com'],
    ['USERNAME EQ "User2@Beta.com"', 'user2@beta.com'],
    ['externalId eq "ext-3"', 'user3@beta.com'],
    ['emails[type eq "work"].value eq "user4@beta.com"', 'user4@beta.com'],
    ['emails.value eq "user4@beta.com"', 'user4@beta.com'],
    ['displayName eq "User 5"', 'user5@beta.com'],
    ['userName eq "user1@beta.com" and externalId eq "ext-1"', 'user1@beta.com'],
    [`${USER}:userName eq "user2@beta.com"`, 'user2@beta.com'],
  ])('%s', async (filter, userName) => {
    const body = await list({ filter });
    expect(body.totalResults).toBe(1);
    expect(body.Resources.map((r) => r.userName)).toEqual([userName]);
  });

  it('externalId is case-exact; and with a non-matching side matches nothing', async () => {
    expect((await list({ filter: 'externalId eq "EXT-3"' })).totalResults).toBe(0);
    expect(
      (await list({ filter: 'userName eq "user1@beta.com" and externalId eq "ext-2"' }))
        .totalResults,
    ).toBe(0);
  });

  it('pages with numeric totalResults, startIndex, itemsPerPage in a stable order', async () => {
    const first = await list({ startIndex: '1', count: '2' });
    expect(first).toMatchObject({ totalResults: 5, startIndex: 1, itemsPerPage: 2 });
    const second = await list({ startIndex: '3', count: '2' });
    const third = await list({ startIndex: '5', count: '2' });
    expect(third).toMatchObject({ totalResults: 5, startIndex: 5, itemsPerPage: 1 });
    expect([...first.Resources, ...second.Resources, ...third.Resources].map((r) => r.id)).toEqual(
      ids,
    );
    expect((await list({ startIndex: '0', count: '1' })).startIndex).toBe(1);
    const none = await list({ count: '0' });
    expect(none).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
  });

  it('refuses unparsable filters and unknown attributes with 400 invalidFilter', async () => {
    for (const filter of ['userName eq', 'userName zz "x"', 'nickName eq "x"']) {
      expectScimError(await scim(t, conn, 'get', '/Users').query({ filter }), 400, 'invalidFilter');
    }
  });
});

describe('errors', () => {
  it('409 uniqueness for a userName that exists, in any case', async () => {
    await scim(t, s, 'post', '/Users', oktaUser('dup@acme.com')).expect(201);
    expectScimError(
      await scim(t, s, 'post', '/Users', oktaUser('DUP@acme.com')),
      409,
      'uniqueness',
    );
  });

  it('409 uniqueness for an email another employee of the company has', async () => {
    const other = await scimConnection(t, s.company);
    expectScimError(
      await scim(t, other, 'post', '/Users', oktaUser('dup@acme.com')),
      409,
      'uniqueness',
    );
    const a = resource(await scim(t, s, 'post', '/Users', oktaUser('one@acme.com')).expect(201));
    await scim(t, s, 'post', '/Users', oktaUser('two@acme.com')).expect(201);
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Users/${a.id}`,
        patchOp({ op: 'replace', path: 'userName', value: 'Two@acme.com' }),
      ),
      409,
      'uniqueness',
    );
  });

  it('400 invalidValue for a user without userName or with a bad active', async () => {
    expectScimError(
      await scim(t, s, 'post', '/Users', { schemas: [USER], emails: [{ value: 'x@acme.com' }] }),
      400,
      'invalidValue',
    );
    expectScimError(
      await scim(t, s, 'post', '/Users', oktaUser('bad@acme.com', { active: 'maybe' })),
      400,
      'invalidValue',
    );
  });

  it('400 invalidSyntax for malformed JSON and for a PATCH without Operations', async () => {
    const res = await t
      .http()
      .post(`${s.base}/Users`)
      .set(bearer(s.token))
      .set('Content-Type', 'application/scim+json')
      .send('{"userName": ');
    expectScimError(res, 400, 'invalidSyntax');
    const user = resource(await scim(t, s, 'post', '/Users', oktaUser('syn@acme.com')).expect(201));
    expectScimError(
      await scim(t, s, 'patch', `/Users/${user.id}`, { schemas: [] }),
      400,
      'invalidSyntax',
    );
    expectScimError(
      await scim(t, s, 'patch', `/Users/${user.id}`, patchOp({ op: 'frobnicate', path: 'x' })),
      400,
      'invalidSyntax',
    );
    expectScimError(
      await scim(t, s, 'patch', `/Users/${user.id}`, patchOp({ op: 'remove' })),
      400,
      'noTarget',
    );
  });

  it('applies nothing of a PATCH when one operation fails', async () => {
    const user = resource(
      await scim(t, s, 'post', '/Users', oktaUser('atomic@acme.com')).expect(201),
    );
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp(
          { op: 'replace', path: 'title', value: 'Changed' },
          { op: 'replace', path: 'active', value: 'perhaps' },
        ),
      ),
      400,
      'invalidValue',
    );
    const after = resource(await scim(t, s, 'get', `/Users/${user.id}`).expect(200));
    expect(after).toEqual(user);
    expect(await employee('atomic@acme.com')).toMatchObject({ title: null, active: true });
  });

  it("404 for unknown ids, ids that are not UUIDs, and another connection's user", async () => {
    expectScimError(await scim(t, s, 'get', `/Users/${randomUUID()}`), 404);
    expectScimError(await scim(t, s, 'get', '/Users/not-an-id'), 404);
    const other = await scimConnection(t);
    const theirs = resource(
      await scim(t, other, 'post', '/Users', oktaUser('theirs@gamma.com')).expect(201),
    );
    expectScimError(await scim(t, s, 'get', `/Users/${theirs.id}`), 404);
    expectScimError(await scim(t, s, 'delete', `/Users/${theirs.id}`), 404);
  });
});

describe('tolerance', () => {
  it('accepts plain application/json and attribute names in any case', async () => {
    const res = await t
      .http()
      .post(`${s.base}/Users`)
      .set(bearer(s.token))
      .send({
        Schemas: [USER],
        USERNAME: 'case@acme.com',
        Name: { GivenName: 'Case', familyname: 'Insensitive' },
        Emails: [{ Value: 'case@acme.com', Primary: 'true' }],
        Active: 'TRUE',
      })
      .expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(resource(res)).toMatchObject({
      userName: 'case@acme.com',
      name: { givenName: 'Case', familyName: 'Insensitive' },
      active: true,
    });
    const id = resource(res).id;
    const patched = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${id}`,
        patchOp(
          { OP: 'REPLACE', Path: 'NAME.GIVENNAME', Value: 'Upper' },
          { op: 'replace', path: 'Title', value: 'Tester' },
        ),
      ).expect(200),
    );
    expect(patched).toMatchObject({ name: { givenName: 'Upper' }, title: 'Tester' });
  });

  it('takes the enterprise extension as a no-path value object', async () => {
    const user = resource(await scim(t, s, 'post', '/Users', oktaUser('ext@acme.com')).expect(201));
    const boss = resource(await scim(t, s, 'post', '/Users', oktaUser('ext.boss@acme.com')));
    const patched = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({
          op: 'add',
          value: { [ENTERPRISE]: { department: 'R&D', manager: { value: boss.id } } },
        }),
      ).expect(200),
    );
    expect(patched[ENTERPRISE]).toEqual({
      department: 'R&D',
      manager: { value: boss.id, $ref: `http://scim.example.test${s.base}/Users/${boss.id}` },
    });
  });

  it('SCIM users show up in the employee API with their connection', async () => {
    const res = await t
      .http()
      .get('/api/employees')
      .query({ connectionId: s.connectionId })
      .set(bearer(s.company.adminKey))
      .expect(200);
    const items = (res.body as { items: EmployeeView[] }).items;
    expect(items.length).toBeGreaterThan(3);
    expect(items.every((e) => e.connectionId === s.connectionId)).toBe(true);
    expect(items.map((e) => e.email)).toContain('ada@acme.com');
  });
});
