import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  bearer,
  createCompany,
  createKey,
  PLATFORM_TOKEN,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';
import { expectError } from './support/errors.js';

/**
 * The 401 / 403 / 404 / 400 matrix of every company route: who may call what, and that a
 * refused request writes nothing and tells nothing about other companies.
 */

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Route {
  method: Method;
  /** The path template; `:id` is replaced by the id a test is about. */
  path: string;
  write: boolean;
  /** A body the route accepts from an admin of the owning company. */
  body?: () => Record<string, unknown>;
}

const oktaConnection = () => ({
  name: 'Okta',
  type: 'okta',
  config: { orgUrl: 'https://acme.okta.com', apiToken: 'okta-secret-token' },
});

const ROUTES: Route[] = [
  {
    method: 'post',
    path: '/api/api-keys',
    write: true,
    body: () => ({ name: 'ci', role: 'viewer' }),
  },
  { method: 'get', path: '/api/api-keys', write: false },
  { method: 'delete', path: '/api/api-keys/:id', write: true },
  { method: 'post', path: '/api/directory', write: true, body: oktaConnection },
  { method: 'get', path: '/api/directory', write: false },
  { method: 'get', path: '/api/directory/:id', write: false },
  { method: 'patch', path: '/api/directory/:id', write: true, body: () => ({ name: 'Renamed' }) },
  { method: 'delete', path: '/api/directory/:id', write: true },
];
const ID_ROUTES = ROUTES.filter((r) => r.path.includes(':id'));
const WRITE_ROUTES = ROUTES.filter((r) => r.write);
const READ_ROUTES = ROUTES.filter((r) => !r.write);
const label = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;

let t: TestApp;
let a: TestCompany;
let b: TestCompany;
let viewerA: { id: string; key: string };
/** A key of company A that the DELETE /api/api-keys/:id cases aim at (never actually revoked). */
let targetKeyA: { id: string; key: string };
let connA: string;
let connB: string;
let keyB: { id: string; key: string };

async function createConnection(adminKey: string, name: string): Promise<string> {
  const res = await t
    .http()
    .post('/api/directory')
    .set(bearer(adminKey))
    .send({ ...oktaConnection(), name })
    .expect(201);
  return (res.body as { id: string }).id;
}

/** Company A's own ids for each `:id` route. */
function pathFor(route: Route, ids: { key: string; connection: string }): string {
  const id = route.path.startsWith('/api/api-keys') ? ids.key : ids.connection;
  return route.path.replace(':id', id);
}
const ownPath = (route: Route) => pathFor(route, { key: targetKeyA.id, connection: connA });

function call(route: Route, path: string, headers: Record<string, string> = {}) {
  const req = t.http()[route.method](path).set(headers);
  return route.body ? req.send(route.body()) : req;
}

/** Every row a company route could write: equal before and after means nothing was written. */
async function snapshot() {
  return {
    companies: await t.db.query('SELECT * FROM company ORDER BY id'),
    // last_used_at is bookkeeping of the calling key, not something the request wrote.
    keys: await t.db.query(
      'SELECT id, company_id, name, role, key_hash, prefix, created_at, revoked_at FROM api_key ORDER BY id',
    ),
    connections: await t.db.query('SELECT * FROM directory_connection ORDER BY id'),
  };
}

beforeAll(async () => {
  t = await startTestApp();
  a = await createCompany(t, 'Acme');
  b = await createCompany(t, 'Beta');
  viewerA = await createKey(t, a.adminKey, 'viewer');
  targetKeyA = await createKey(t, a.adminKey, 'viewer');
  keyB = await createKey(t, b.adminKey, 'viewer');
  connA = await createConnection(a.adminKey, 'Acme Okta');
  connB = await createConnection(b.adminKey, 'Beta Okta');
});
afterAll(() => t.close());

describe('401: no or invalid credentials', () => {
  it.each(ROUTES.map((r) => [label(r), r] as const))(
    '%s without an Authorization header',
    async (_, route) => {
      const before = await snapshot();
      const body = expectError(await call(route, ownPath(route)), 401);
      expect(body.message).toMatch(/API key/);
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(ROUTES.map((r) => [label(r), r] as const))('%s with a garbage key', async (_, route) => {
    const before = await snapshot();
    expectError(await call(route, ownPath(route), bearer('dsk_not-a-real-key')), 401);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['an empty header', () => ''],
    ['the scheme without a key', () => 'Bearer'],
    ['the scheme with only spaces', () => 'Bearer    '],
    ['a key without the scheme', () => a.adminKey],
    [
      'the key under another scheme',
      () => `Basic ${Buffer.from(`x:${a.adminKey}`).toString('base64')}`,
    ],
    ['two keys', () => `Bearer ${a.adminKey} ${a.adminKey}`],
    [
      'a key one character off',
      () => `Bearer ${a.adminKey.slice(0, -1)}${a.adminKey.endsWith('A') ? 'B' : 'A'}`,
    ],
    ['the key of the platform admin', () => `Bearer ${PLATFORM_TOKEN}`],
  ])('refuses %s', async (_, header) => {
    expectError(await t.http().get('/api/api-keys').set('Authorization', header()), 401);
  });

  it('checks the key before anything else: a malformed id or a bad body is still 401', async () => {
    expectError(await t.http().get('/api/directory/not-a-uuid'), 401);
    expectError(await t.http().delete('/api/api-keys/not-a-uuid'), 401);
    expectError(await t.http().post('/api/directory').send({ nonsense: true }), 401);
  });
});

describe('401: a revoked key stops working at once', () => {
  let revoked: { id: string; key: string };

  beforeAll(async () => {
    revoked = await createKey(t, a.adminKey, 'admin');
    // It works, and has been seen (and could have been cached) before it is revoked.
    await t.http().get('/api/api-keys').set(bearer(revoked.key)).expect(200);
    await t.http().delete(`/api/api-keys/${revoked.id}`).set(bearer(a.adminKey)).expect(204);
  });

  it.each(ROUTES.map((r) => [label(r), r] as const))('%s', async (_, route) => {
    const before = await snapshot();
    const body = expectError(await call(route, ownPath(route), bearer(revoked.key)), 401);
    expect(body.message).toMatch(/invalid or revoked/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('403: viewer keys are read-only', () => {
  it.each(WRITE_ROUTES.map((r) => [label(r), r] as const))(
    '%s with a viewer key is 403 and writes nothing',
    async (_, route) => {
      const before = await snapshot();
      const body = expectError(await call(route, ownPath(route), bearer(viewerA.key)), 403);
      expect(body.message).toMatch(/read-only/);
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(READ_ROUTES.map((r) => [label(r), r] as const))(
    '%s with a viewer key is 200',
    async (_, route) => {
      const res = await call(route, ownPath(route), bearer(viewerA.key));
      expect(res.status).toBe(200);
    },
  );

  it('a viewer sees the same data as an admin', async () => {
    for (const path of ['/api/api-keys', '/api/directory', `/api/directory/${connA}`]) {
      const asViewer = await t.http().get(path).set(bearer(viewerA.key)).expect(200);
      const asAdmin = await t.http().get(path).set(bearer(a.adminKey)).expect(200);
      // lastUsedAt of the calling keys moves; everything else is the same.
      const strip = (body: unknown) => JSON.stringify(body).replace(/"lastUsedAt":"[^"]*"/g, '');
      expect(strip(asViewer.body)).toBe(strip(asAdmin.body));
    }
  });

  it('a viewer cannot mint itself an admin key', async () => {
    const before = await snapshot();
    expectError(
      await t
        .http()
        .post('/api/api-keys')
        .set(bearer(viewerA.key))
        .send({ name: 'escalate', role: 'admin' }),
      403,
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('404: another company’s id is indistinguishable from a missing one', () => {
  const otherPath = (route: Route) => pathFor(route, { key: keyB.id, connection: connB });
  const missingPath = (route: Route) =>
    pathFor(route, { key: randomUUID(), connection: randomUUID() });

  it.each(ID_ROUTES.map((r) => [label(r), r] as const))('%s', async (_, route) => {
    const before = await snapshot();
    const missing = expectError(await call(route, missingPath(route), bearer(a.adminKey)), 404);
    const other = expectError(await call(route, otherPath(route), bearer(a.adminKey)), 404);
    expect(other).toEqual(missing);
    expect(await snapshot()).toEqual(before);
  });

  it.each(ID_ROUTES.filter((r) => !r.write).map((r) => [label(r), r] as const))(
    '%s with a viewer key too',
    async (_, route) => {
      const missing = expectError(await call(route, missingPath(route), bearer(viewerA.key)), 404);
      const other = expectError(await call(route, otherPath(route), bearer(viewerA.key)), 404);
      expect(other).toEqual(missing);
    },
  );

  it('lists hold only the caller’s company', async () => {
    const keys = await t.http().get('/api/api-keys').set(bearer(a.adminKey)).expect(200);
    const keyIds = (keys.body as { items: { id: string }[] }).items.map((k) => k.id);
    expect(keyIds).toEqual(expect.arrayContaining([a.adminKeyId, viewerA.id, targetKeyA.id]));
    expect(keyIds).not.toContain(b.adminKeyId);
    expect(keyIds).not.toContain(keyB.id);

    const conns = await t.http().get('/api/directory').set(bearer(a.adminKey)).expect(200);
    const connIds = (conns.body as { items: { id: string }[] }).items.map((c) => c.id);
    expect(connIds).toContain(connA);
    expect(connIds).not.toContain(connB);
  });

  it('the other company’s key and connection are untouched and still work', async () => {
    await t.http().get('/api/api-keys').set(bearer(keyB.key)).expect(200);
    const res = await t.http().get(`/api/directory/${connB}`).set(bearer(keyB.key)).expect(200);
    expect((res.body as { name: string }).name).toBe('Beta Okta');
  });
});

describe('400: malformed ids', () => {
  it.each(ID_ROUTES.map((r) => [label(r), r] as const))(
    '%s with a malformed id',
    async (_, route) => {
      const before = await snapshot();
      for (const bad of ['not-a-uuid', '123', `${connA}x`, connA.replace(/-/g, '')]) {
        const body = expectError(
          await call(route, route.path.replace(':id', bad), bearer(a.adminKey)),
          400,
        );
        expect(body.message).toBe('id must be a UUID');
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it('GET /api/directory/not-a-uuid with a viewer key is 400 as well', async () => {
    expectError(await t.http().get('/api/directory/not-a-uuid').set(bearer(viewerA.key)), 400);
  });
});

describe('the company comes from the key, never from the body', () => {
  it.each([
    ['POST /api/api-keys', 'post', '/api/api-keys', () => ({ name: 'sneaky', role: 'admin' })],
    ['POST /api/directory', 'post', '/api/directory', oktaConnection],
    ['PATCH /api/directory/:id', 'patch', '/api/directory/:id', () => ({ name: 'Hijacked' })],
  ] as const)(
    '%s with another company’s companyId is 400 and writes nothing',
    async (_, method, path, body) => {
      const before = await snapshot();
      const http = t.http();
      const res = await http[method](path.replace(':id', connA))
        .set(bearer(a.adminKey))
        .send({ ...body(), companyId: b.id });
      const error = expectError(res, 400, { fields: true });
      expect(error.fields).toContainEqual({
        field: 'companyId',
        message: 'companyId is not an allowed field',
      });
      expect(await snapshot()).toEqual(before);
    },
  );

  it('what an admin creates belongs to the key’s company', async () => {
    const key = await createKey(t, a.adminKey, 'viewer');
    const conn = await createConnection(a.adminKey, 'Owned by A');
    const [keyRow] = await t.db.query<{ company_id: string }>(
      'SELECT company_id FROM api_key WHERE id = $1',
      [key.id],
    );
    const [connRow] = await t.db.query<{ company_id: string }>(
      'SELECT company_id FROM directory_connection WHERE id = $1',
      [conn],
    );
    expect(keyRow.company_id).toBe(a.id);
    expect(connRow.company_id).toBe(a.id);
  });
});

describe('API key usage', () => {
  it('sets last_used_at when a key is used', async () => {
    const key = await createKey(t, a.adminKey, 'viewer');
    const read = () =>
      t.db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_key WHERE id = $1', [
        key.id,
      ]);
    expect((await read())[0].last_used_at).toBeNull();

    const before = Date.now();
    await t.http().get('/api/directory').set(bearer(key.key)).expect(200);
    const [row] = await read();
    expect(row.last_used_at).toBeInstanceOf(Date);
    // The database's clock and ours are the same machine's; allow a little skew.
    expect(row.last_used_at!.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(row.last_used_at!.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);

    const list = await t.http().get('/api/api-keys').set(bearer(a.adminKey)).expect(200);
    const item = (list.body as { items: { id: string; lastUsedAt: string | null }[] }).items.find(
      (k) => k.id === key.id,
    );
    expect(item?.lastUsedAt).toBe(row.last_used_at!.toISOString());
  });

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])(
    'accepts the %s scheme (case-insensitive)',
    async (scheme) => {
      await t
        .http()
        .get('/api/api-keys')
        .set('Authorization', `${scheme} ${a.adminKey}`)
        .expect(200);
    },
  );

  it('tolerates extra spaces around the key', async () => {
    await t
      .http()
      .get('/api/api-keys')
      .set('Authorization', `Bearer   ${a.adminKey}  `)
      .expect(200);
  });
});
