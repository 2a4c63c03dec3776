import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ENTERPRISE,
  expectScimError,
  GROUP,
  LIST,
  oktaUser,
  patchOp,
  resource,
  rosterPage,
  scim,
  scimConnection,
  USER,
  type ListBody,
  type Resource,
  type ScimSetup,
} from './support/scim.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** What SCIM conformance suites found (issue 11): RFC 7643/7644 behaviour, item by item. */

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

let t: TestApp;
let s: ScimSetup;

beforeAll(async () => {
  t = await startTestApp();
  s = await scimConnection(t);
});

afterAll(async () => {
  await t?.close();
});

const createUser = async (userName: string, extra: Record<string, unknown> = {}) =>
  resource(await scim(t, s, 'post', '/Users', oktaUser(userName, extra)).expect(201));

const getUser = async (id: string) => resource(await scim(t, s, 'get', `/Users/${id}`).expect(200));

const roster = (query: Record<string, string>) => rosterPage(t, s, query);

describe('startIndex and count (RFC 7644 §3.4.2.4)', () => {
  it('answers an empty page for a startIndex past any number, on Users, Groups and .search', async () => {
    await createUser('paging@acme.com');
    for (const path of ['/Users', '/Groups']) {
      const res = await scim(t, s, 'get', path)
        .query({ startIndex: '99999999999999999999', count: '99999999999999999999' })
        .expect(200);
      const body = res.body as ListBody;
      expect(body).toMatchObject({ itemsPerPage: 0, Resources: [] });
      expect(body.startIndex).toBe(Number.MAX_SAFE_INTEGER);
    }
    const searched = await scim(t, s, 'post', '/Users/.search', {
      schemas: [SEARCH],
      startIndex: 1e25,
      count: 5,
    }).expect(200);
    expect((searched.body as ListBody).Resources).toEqual([]);
  });

  it('treats a startIndex below 1 as 1 and a negative count as 0, however long', async () => {
    const res = await scim(t, s, 'get', '/Users')
      .query({ startIndex: '-99999999999999999999', count: '-99999999999999999999' })
      .expect(200);
    expect(res.body).toMatchObject({ startIndex: 1, itemsPerPage: 0, Resources: [] });
    expect((res.body as ListBody).totalResults).toBeGreaterThan(0);
  });

  it('refuses what is not an integer with 400 invalidValue', async () => {
    for (const query of [{ startIndex: 'abc' }, { count: '1.5' }, { startIndex: '1e3' }]) {
      expectScimError(await scim(t, s, 'get', '/Users').query(query), 400, 'invalidValue');
    }
    expectScimError(
      await scim(t, s, 'post', '/.search', { schemas: [SEARCH], count: 2.5 }),
      400,
      'invalidValue',
    );
  });
});

describe('PATCH paths (RFC 7644 §3.5.2)', () => {
  it('refuses unknown paths with invalidPath and read-only ones with mutability; nothing is written', async () => {
    const user = await createUser('paths@acme.com');
    const cases: [string, string][] = [
      ['nonexistent', 'invalidPath'],
      ['name.nonexistent', 'invalidPath'],
      [`${ENTERPRISE}:nonexistent`, 'invalidPath'],
      ['id', 'mutability'],
      ['meta.created', 'mutability'],
      ['groups', 'mutability'],
    ];
    for (const [path, scimType] of cases) {
      for (const op of ['add', 'replace', 'remove']) {
        expectScimError(
          await scim(
            t,
            s,
            'patch',
            `/Users/${user.id}`,
            patchOp({ op: 'replace', path: 'title', value: 'Changed' }, { op, path, value: 'x' }),
          ),
          400,
          scimType,
        );
      }
    }
    expect(await getUser(user.id)).toEqual(user);
  });

  it('accepts attributes RFC 7643 defines but the roster does not keep, changing nothing', async () => {
    const user = await createUser('nick@acme.com');
    const res = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp(
          { op: 'add', path: 'nickName', value: 'Nick' },
          { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '+1 555' },
          { op: 'replace', path: 'title', value: 'Kept' },
        ),
      ).expect(200),
    );
    expect(res).not.toHaveProperty('nickName');
    expect(res).not.toHaveProperty('phoneNumbers');
    expect(res.title).toBe('Kept');
  });

  it('refuses a read-only path on Groups with mutability, unknown ones with invalidPath', async () => {
    const group = resource(
      await scim(t, s, 'post', '/Groups', { schemas: [GROUP], displayName: 'Paths' }).expect(201),
    );
    expectScimError(
      await scim(t, s, 'patch', `/Groups/${group.id}`, patchOp({ op: 'replace', path: 'id' })),
      400,
      'mutability',
    );
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Groups/${group.id}`,
        patchOp({ op: 'replace', path: 'nonexistent', value: 'x' }),
      ),
      400,
      'invalidPath',
    );
  });
});

describe('manager.value (RFC 7643 §4.3)', () => {
  it('must be the id of a user of this connection', async () => {
    const other = await scimConnection(t, s.company);
    const stranger = resource(
      await scim(t, other, 'post', '/Users', oktaUser('stranger@acme.com')).expect(201),
    );
    const withManager = (userName: string, manager: unknown) => ({
      ...oktaUser(userName),
      [ENTERPRISE]: { manager },
    });
    for (const manager of [{ value: 'boss' }, { value: stranger.id }, { value: 42 }, 'boss']) {
      expectScimError(
        await scim(t, s, 'post', '/Users', withManager('managed@acme.com', manager)),
        400,
        'invalidValue',
      );
    }
    // An empty value is no manager.
    await scim(t, s, 'post', '/Users', withManager('managed@acme.com', { value: '' })).expect(201);
  });

  it('is refused on PUT and PATCH too; a real one shows with $ref; deleting the manager clears it', async () => {
    const report = await createUser('report@acme.com');
    const boss = await createUser('the.boss@acme.com');
    expectScimError(
      await scim(t, s, 'put', `/Users/${report.id}`, {
        ...oktaUser('report@acme.com'),
        [ENTERPRISE]: { manager: { value: 'not-an-id' } },
      }),
      400,
      'invalidValue',
    );
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Users/${report.id}`,
        patchOp({ op: 'add', path: `${ENTERPRISE}:manager.value`, value: 'not-an-id' }),
      ),
      400,
      'invalidValue',
    );
    const managed = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${report.id}`,
        patchOp({ op: 'add', path: `${ENTERPRISE}:manager`, value: boss.id.toUpperCase() }),
      ).expect(200),
    );
    expect(managed[ENTERPRISE]).toEqual({
      manager: { value: boss.id, $ref: `http://scim.example.test${s.base}/Users/${boss.id}` },
    });
    await scim(t, s, 'delete', `/Users/${boss.id}`).expect(204);
    const after = await getUser(report.id);
    expect(after).not.toHaveProperty(ENTERPRISE);
    expect(after.meta.version).not.toBe(managed.meta.version);
  });
});

describe('attributes and excludedAttributes (RFC 7644 §3.4.2.5, §3.9)', () => {
  let user: Resource;
  let group: Resource;

  beforeAll(async () => {
    user = await createUser('proj@acme.com', {
      title: 'Projected',
      [ENTERPRISE]: { department: 'Maps' },
    });
    group = resource(
      await scim(t, s, 'post', '/Groups', {
        schemas: [GROUP],
        displayName: 'Projection',
        externalId: 'proj-1',
        members: [{ value: user.id }],
      }).expect(201),
    );
  });

  it('attributes returns only those (plus id and schemas) on a User, by id and in a list', async () => {
    const one = await scim(t, s, 'get', `/Users/${user.id}`)
      .query({ attributes: `userName,NAME.givenName,${ENTERPRISE}:department` })
      .expect(200);
    expect(one.body).toEqual({
      schemas: [USER, ENTERPRISE],
      id: user.id,
      userName: 'proj@acme.com',
      name: { givenName: 'proj' },
      [ENTERPRISE]: { department: 'Maps' },
    });
    const listed = await scim(t, s, 'get', '/Users')
      .query({ filter: 'userName eq "proj@acme.com"', attributes: `${USER}:emails.value` })
      .expect(200);
    expect((listed.body as ListBody).Resources).toEqual([
      { schemas: [USER, ENTERPRISE], id: user.id, emails: [{ value: 'proj@acme.com' }] },
    ]);
  });

  it('excludedAttributes leaves those out (never id)', async () => {
    const res = await scim(t, s, 'get', `/Users/${user.id}`)
      .query({ excludedAttributes: `emails,name.familyName,meta,id,${ENTERPRISE}` })
      .expect(200);
    const body = res.body as Resource;
    expect(body.id).toBe(user.id);
    expect(body).not.toHaveProperty('emails');
    expect(body).not.toHaveProperty('meta');
    expect(body).not.toHaveProperty(ENTERPRISE);
    expect(body.name).toEqual({ givenName: 'proj', formatted: 'proj Okta' });
    expect(body.title).toBe('Projected');
  });

  it('applies to Groups beyond members', async () => {
    const one = await scim(t, s, 'get', `/Groups/${group.id}`)
      .query({ attributes: 'displayName' })
      .expect(200);
    expect(one.body).toEqual({ schemas: [GROUP], id: group.id, displayName: 'Projection' });
    const members = await scim(t, s, 'get', '/Groups')
      .query({ filter: 'displayName eq "Projection"', attributes: 'members.value' })
      .expect(200);
    expect((members.body as ListBody).Resources).toEqual([
      { schemas: [GROUP], id: group.id, members: [{ value: user.id }] },
    ]);
    const excluded = await scim(t, s, 'get', `/Groups/${group.id}`)
      .query({ excludedAttributes: 'externalId,meta' })
      .expect(200);
    expect(excluded.body).not.toHaveProperty('externalId');
    expect(excluded.body).not.toHaveProperty('meta');
    expect(excluded.body).toHaveProperty('members');
  });

  it('applies to the resource a write answers', async () => {
    const res = await scim(
      t,
      s,
      'patch',
      `/Users/${user.id}?attributes=title`,
      patchOp({ op: 'replace', path: 'title', value: 'Written' }),
    ).expect(200);
    expect(res.body).toEqual({ schemas: [USER, ENTERPRISE], id: user.id, title: 'Written' });
  });

  it('refuses both at once with 400 invalidValue, before a write', async () => {
    expectScimError(
      await scim(t, s, 'get', '/Users').query({ attributes: 'title', excludedAttributes: 'name' }),
      400,
      'invalidValue',
    );
    const before = await getUser(user.id);
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}?attributes=title&excludedAttributes=name`,
        patchOp({ op: 'replace', path: 'title', value: 'Not written' }),
      ),
      400,
      'invalidValue',
    );
    expect(await getUser(user.id)).toEqual(before);
  });
});

describe('POST .search (RFC 7644 §3.4.3)', () => {
  let conn: ScimSetup;
  const users: Resource[] = [];
  let group: Resource;

  beforeAll(async () => {
    conn = await scimConnection(t);
    for (const name of ['sa', 'sb', 'sc']) {
      users.push(
        resource(await scim(t, conn, 'post', '/Users', oktaUser(`${name}@search.com`)).expect(201)),
      );
    }
    group = resource(
      await scim(t, conn, 'post', '/Groups', {
        schemas: [GROUP],
        displayName: 'Searchers',
        members: [{ value: users[0].id }],
      }).expect(201),
    );
  });

  const search = (path: string, body: Record<string, unknown>) =>
    scim(t, conn, 'post', path, { schemas: [SEARCH], ...body });

  it('searches Users with a SearchRequest body', async () => {
    const res = await search('/Users/.search', {
      filter: 'userName sw "s"',
      attributes: ['userName'],
      startIndex: 2,
      count: 1,
    }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toEqual({
      schemas: [LIST],
      totalResults: 3,
      startIndex: 2,
      itemsPerPage: 1,
      Resources: [{ schemas: [USER], id: users[1].id, userName: 'sb@search.com' }],
    });
  });

  it('searches Groups', async () => {
    const res = await search('/Groups/.search', {
      filter: 'displayName eq "searchers"',
      excludedAttributes: ['members'],
    }).expect(200);
    const body = res.body as ListBody;
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]).not.toHaveProperty('members');
    expect(body.Resources[0].id).toBe(group.id);
  });

  it('searches Users then Groups at the root, paged as one list', async () => {
    const all = (await search('/.search', {}).expect(200)).body as ListBody;
    expect(all.totalResults).toBe(4);
    expect(all.Resources.map((r) => r.id)).toEqual([...users.map((u) => u.id), group.id]);
    const tail = (await search('/.search', { startIndex: 3, count: 5 }).expect(200))
      .body as ListBody;
    expect(tail).toMatchObject({ totalResults: 4, startIndex: 3, itemsPerPage: 2 });
    expect(tail.Resources.map((r) => r.meta.resourceType)).toEqual(['User', 'Group']);
    // An attribute only Users have matches no Group, and the other way round.
    const named = (await search('/.search', { filter: 'userName eq "sc@search.com"' }))
      .body as ListBody;
    expect(named.Resources.map((r) => r.id)).toEqual([users[2].id]);
    const byName = (await search('/.search', { filter: 'displayName eq "Searchers"' }))
      .body as ListBody;
    expect(byName.Resources.map((r) => r.id)).toEqual([group.id]);
  });

  it('refuses a body that is not a SearchRequest, and filters nothing can answer', async () => {
    expectScimError(
      await scim(t, conn, 'post', '/Users/.search', { filter: 'userName eq "x"' }),
      400,
      'invalidSyntax',
    );
    expectScimError(await search('/.search', { filter: 'nickName eq "x"' }), 400, 'invalidFilter');
    expectScimError(
      await search('/Users/.search', { filter: 'userName eq' }),
      400,
      'invalidFilter',
    );
  });
});

describe('users without an email (RFC 7643 §4.1)', () => {
  it('accepts a userName that is not an email and no emails; the roster keeps them', async () => {
    const first = resource(
      await scim(t, s, 'post', '/Users', { schemas: [USER], userName: 'jdoe' }).expect(201),
    );
    expect(first).not.toHaveProperty('emails');
    const second = resource(
      await scim(t, s, 'post', '/Users', { schemas: [USER], userName: 'rroe' }).expect(201),
    );
    // The roster lists them after everyone with an email, and pages through them.
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await roster({ limit: '1', ...(cursor ? { cursor } : {}) });
      page.items.forEach((e) => ids.add(e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toContain(first.id);
    expect(ids).toContain(second.id);
    const all = (await roster({ connectionId: s.connectionId, limit: '500' })).items;
    const withoutEmail = all.filter((e) => e.email === null).map((e) => e.id);
    expect(withoutEmail).toEqual([first.id, second.id].sort());
    expect(all.slice(-2).map((e) => e.email)).toEqual([null, null]);
  });

  it('/Schemas says userName is required and emails is not', async () => {
    const user = (await scim(t, s, 'get', `/Schemas/${USER}`).expect(200)).body as {
      attributes: { name: string; required: boolean }[];
    };
    const required = Object.fromEntries(user.attributes.map((a) => [a.name, a.required]));
    expect(required).toMatchObject({ userName: true, emails: false });
  });
});

describe('PATCH remove (RFC 7644 §3.5.2.2)', () => {
  it('removing active deactivates the user', async () => {
    const user = await createUser('remove.active@acme.com');
    const res = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'remove', path: 'active' }),
      ).expect(200),
    );
    expect(res.active).toBe(false);
    const [employee] = (await roster({ email: 'remove.active@acme.com' })).items;
    expect(employee.active).toBe(false);
  });

  it('removing the enterprise extension URN removes its attributes', async () => {
    const boss = await createUser('urn.boss@acme.com');
    const user = await createUser('urn@acme.com', {
      [ENTERPRISE]: { department: 'Gone', manager: { value: boss.id } },
    });
    expect(user.schemas).toEqual([USER, ENTERPRISE]);
    const res = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'remove', path: ENTERPRISE }),
      ).expect(200),
    );
    expect(res).not.toHaveProperty(ENTERPRISE);
    expect(res.schemas).toEqual([USER]);
    const back = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'add', path: ENTERPRISE, value: { department: 'Back' } }),
      ).expect(200),
    );
    expect(back[ENTERPRISE]).toEqual({ department: 'Back' });
  });
});

describe('emails as sent (RFC 7643 §2.4)', () => {
  it('stores and returns the spelling the client sent; uniqueness ignores case', async () => {
    const user = await createUser('Mixed.Case@Acme.com');
    expect(user.emails).toEqual([{ value: 'Mixed.Case@Acme.com', type: 'work', primary: true }]);
    const [employee] = (await roster({ email: 'mixed.case@acme.COM' })).items;
    expect(employee).toMatchObject({ id: user.id, email: 'Mixed.Case@Acme.com' });
    expectScimError(
      await scim(t, s, 'post', '/Users', {
        schemas: [USER],
        userName: 'someone.else',
        emails: [{ value: 'MIXED.CASE@acme.com' }],
      }),
      409,
      'uniqueness',
    );
    const filtered = await scim(t, s, 'get', '/Users')
      .query({ filter: 'emails.value eq "mixed.case@acme.com"' })
      .expect(200);
    expect((filtered.body as ListBody).Resources.map((r) => r.id)).toEqual([user.id]);
  });
});

describe('name.formatted', () => {
  it("keeps the client's value on PUT and PATCH; builds one only when none was sent", async () => {
    const user = await createUser('formatted@acme.com');
    expect(user.name).toEqual({
      givenName: 'formatted',
      familyName: 'Okta',
      formatted: 'formatted Okta',
    });
    const put = resource(
      await scim(t, s, 'put', `/Users/${user.id}`, {
        ...oktaUser('formatted@acme.com'),
        name: { givenName: 'Ada', familyName: 'King', formatted: 'Ada King, Countess of Lovelace' },
      }).expect(200),
    );
    expect(put.name).toEqual({
      givenName: 'Ada',
      familyName: 'King',
      formatted: 'Ada King, Countess of Lovelace',
    });
    const patched = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'name.givenName', value: 'Augusta' }),
      ).expect(200),
    );
    expect(patched.name).toMatchObject({
      givenName: 'Augusta',
      formatted: 'Ada King, Countess of Lovelace',
    });
    const cleared = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'remove', path: 'name.formatted' }),
      ).expect(200),
    );
    expect(cleared.name).toMatchObject({ formatted: 'Augusta King' });
  });

  it('a PATCH of the parts of a name without a formatted one builds it anew', async () => {
    const user = await createUser('parts@acme.com');
    const patched = resource(
      await scim(
        t,
        s,
        'patch',
        `/Users/${user.id}`,
        patchOp({ op: 'replace', path: 'name.familyName', value: 'Parts' }),
      ).expect(200),
    );
    expect(patched.name).toMatchObject({ formatted: 'parts Parts' });
  });
});

describe('/Schemas for Group.members (RFC 7643 §8.7.1)', () => {
  it('$ref is immutable and type is described', async () => {
    const group = (await scim(t, s, 'get', `/Schemas/${GROUP}`).expect(200)).body as {
      attributes: { name: string; subAttributes?: { name: string }[] }[];
    };
    const members = group.attributes.find((a) => a.name === 'members');
    const sub = Object.fromEntries((members?.subAttributes ?? []).map((a) => [a.name, a]));
    expect(sub.$ref).toMatchObject({ type: 'reference', mutability: 'immutable' });
    expect(sub.type).toMatchObject({
      type: 'string',
      mutability: 'immutable',
      canonicalValues: ['User'],
    });
    expect(sub.value).toMatchObject({ mutability: 'immutable' });
  });
});

describe('ETags (RFC 7644 §3.14)', () => {
  it('a stale If-Match is refused with 412 and changes nothing; a current one or * passes', async () => {
    const user = await createUser('etag@acme.com');
    const changed = resource(
      await scim(t, s, 'put', `/Users/${user.id}`, oktaUser('etag@acme.com', { title: 'New' }))
        .set('If-Match', user.meta.version)
        .expect(200),
    );
    expect(changed.meta.version).not.toBe(user.meta.version);
    const stale = await scim(
      t,
      s,
      'patch',
      `/Users/${user.id}`,
      patchOp({ op: 'replace', path: 'title', value: 'Lost' }),
    ).set('If-Match', user.meta.version);
    expectScimError(stale, 412);
    expectScimError(
      await scim(t, s, 'delete', `/Users/${user.id}`).set('If-Match', user.meta.version),
      412,
    );
    expect(await getUser(user.id)).toEqual(changed);
    await scim(
      t,
      s,
      'patch',
      `/Users/${user.id}`,
      patchOp({ op: 'replace', path: 'title', value: 'Ok' }),
    )
      .set('If-Match', `W/"0", ${changed.meta.version}`)
      .expect(200);
    await scim(t, s, 'delete', `/Users/${user.id}`).set('If-Match', '*').expect(204);
  });

  it('answers 304 to a GET whose If-None-Match is current', async () => {
    const user = await createUser('fresh@acme.com');
    await scim(t, s, 'get', `/Users/${user.id}`)
      .set('If-None-Match', user.meta.version)
      .expect(304);
    await scim(t, s, 'get', `/Users/${user.id}`).set('If-None-Match', 'W/"0"').expect(200);
  });

  it('Groups: a stale If-Match is 412; every change, including a member leaving, is a new version', async () => {
    const member = await createUser('leaver@acme.com');
    const group = resource(
      await scim(t, s, 'post', '/Groups', {
        schemas: [GROUP],
        displayName: 'Versions',
        members: [{ value: member.id }],
      }).expect(201),
    );
    const patched = await scim(
      t,
      s,
      'patch',
      `/Groups/${group.id}`,
      patchOp({ op: 'replace', path: 'displayName', value: 'Versions 2' }),
    )
      .set('If-Match', group.meta.version)
      .expect(204);
    expect(patched.headers.etag).not.toBe(group.meta.version);
    expectScimError(
      await scim(
        t,
        s,
        'patch',
        `/Groups/${group.id}`,
        patchOp({ op: 'replace', path: 'displayName', value: 'Lost' }),
      ).set('If-Match', group.meta.version),
      412,
    );
    expectScimError(
      await scim(t, s, 'put', `/Groups/${group.id}`, { schemas: [GROUP], displayName: 'Lost' }).set(
        'If-Match',
        group.meta.version,
      ),
      412,
    );
    const current = resource(await scim(t, s, 'get', `/Groups/${group.id}`).expect(200));
    expect(current.displayName).toBe('Versions 2');
    expect(current.meta.version).toBe(patched.headers.etag);

    // A member renamed or deleted changes what the group shows: a new version.
    await scim(
      t,
      s,
      'patch',
      `/Users/${member.id}`,
      patchOp({ op: 'replace', path: 'displayName', value: 'Renamed' }),
    ).expect(200);
    const renamed = resource(await scim(t, s, 'get', `/Groups/${group.id}`).expect(200));
    expect(renamed.meta.version).not.toBe(current.meta.version);
    await scim(t, s, 'delete', `/Users/${member.id}`).expect(204);
    const left = resource(await scim(t, s, 'get', `/Groups/${group.id}`).expect(200));
    expect(left.members).toEqual([]);
    expect(left.meta.version).not.toBe(renamed.meta.version);
    expectScimError(
      await scim(t, s, 'delete', `/Groups/${group.id}`).set('If-Match', current.meta.version),
      412,
    );
    await scim(t, s, 'delete', `/Groups/${group.id}`)
      .set('If-Match', left.meta.version)
      .expect(204);
  });

  it('ServiceProviderConfig says etag is supported', async () => {
    const res = await scim(t, s, 'get', '/ServiceProviderConfig').expect(200);
    expect(res.body).toMatchObject({ etag: { supported: true } });
  });
});

describe('long filter URLs', () => {
  it('takes a GET filter longer than 16 KiB', async () => {
    const filter = Array.from({ length: 500 }, (_, i) => `userName eq "u${i}@long.example"`).join(
      ' or ',
    );
    expect(filter.length).toBeGreaterThan(16 * 1024);
    const res = await scim(t, s, 'get', '/Users').query({ filter }).expect(200);
    expect((res.body as ListBody).totalResults).toBe(0);
  });

  it('answers a URL past the limit with a SCIM error, not an empty 431', async () => {
    const res = await scim(t, s, 'get', '/Users').query({ filter: 'x'.repeat(40_000) });
    expectScimError(res, 414);
  });
});
