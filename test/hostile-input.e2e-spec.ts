import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response, Test } from 'supertest';
import { expectError } from './support/errors.js';
import { capturedLogger } from './support/log-capture.js';
import { registeredRoutes } from './support/routes.js';
import {
  expectScimError,
  oktaUser,
  patchOp,
  resource,
  scim,
  scimConnection,
  type ScimSetup,
} from './support/scim.js';
import {
  bearer,
  createCompany,
  PLATFORM_TOKEN,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * The service as a hostile client sees it (issue "What outside testing found"): whatever
 * the route, refused input is a 4xx in the usual error shape, nothing is written, and the
 * log has no stack trace.
 */

const logs = capturedLogger('verbose');
let t: TestApp;
let acme: TestCompany;
let okta: string;
let s: ScimSetup;
let scimUserId: string;

/** Every table a request could write, with when a key was last used left out (auth sets it). */
const TABLES = [
  'company',
  'api_key',
  'directory_connection',
  'employee',
  'job',
  'job_schedule',
  'scim_user',
  'directory_group',
  'group_membership',
  'scim_group_attributes',
];

/** A fingerprint of every row of those tables: equal before and after = nothing written. */
async function snapshot(): Promise<string[]> {
  return Promise.all(
    TABLES.map(async (table) => {
      const [row] = await t.db.query<{ rows: string }>(
        `SELECT coalesce(string_agg(r, ',' ORDER BY r), '') AS rows
           FROM (SELECT (to_jsonb(x) - 'last_used_at')::text AS r FROM ${table} x) rows`,
      );
      return `${table}: ${row.rows}`;
    }),
  );
}

/** Runs `requests`, then checks that the database is exactly as it was. */
async function nothingWritten(requests: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  await requests();
  expect(await snapshot()).toEqual(before);
}

/** `body` sent as is (superagent would re-encode a Buffer), as JSON unless `type` says else. */
const json = (req: Test, body: string | Buffer, type = 'application/json') =>
  req
    .set('Content-Type', type)
    .serialize((raw: string) => raw)
    .send(body);

/** The error shape of the path: SCIM's under /scim, the API's elsewhere. */
function expectRefused(res: Response, path: string, status: number, scimType?: string): void {
  if (path.startsWith('/scim/')) expectScimError(res, status, scimType);
  else expectError(res, status, { fields: 'fields' in (res.body as object) });
  expect(res.headers['x-request-id']).toBeDefined();
}

beforeAll(async () => {
  t = await startTestApp({}, undefined, logs.log);
  acme = await createCompany(t);
  const created = await t
    .http()
    .post('/api/directory')
    .set(bearer(acme.adminKey))
    .send({
      name: 'Okta',
      type: 'okta',
      config: { orgUrl: 'https://acme.okta.com', apiToken: 'x' },
    })
    .expect(201);
  okta = (created.body as { id: string }).id;
  s = await scimConnection(t, acme);
  scimUserId = resource(
    await scim(t, s, 'post', '/Users', oktaUser('ada@acme.test')).expect(201),
  ).id;
});

afterAll(async () => {
  await t?.close();
});

interface BodyRoute {
  method: 'post' | 'put' | 'patch';
  path: string;
  auth: string;
}

/** Every route that takes a body, with its ids filled in and the credentials it wants. */
function bodyRoutes(): BodyRoute[] {
  return registeredRoutes(t)
    .map((route) => route.split(' '))
    .filter(([method]) => ['POST', 'PUT', 'PATCH'].includes(method))
    .map(([method, pattern]) => {
      const path = pattern
        .replace(':connectionId', s.connectionId)
        .replace(/:\w+/g, pattern.startsWith('/scim/') ? scimUserId : okta);
      const auth = path.startsWith('/scim/')
        ? s.token
        : path.startsWith('/api/admin/')
          ? PLATFORM_TOKEN
          : acme.adminKey;
      return { method: method.toLowerCase() as BodyRoute['method'], path, auth };
    });
}

/** A request to `route` with its credentials. */
const call = (route: BodyRoute) => t.http()[route.method](route.path).set(bearer(route.auth));

describe('every route that takes a body', () => {
  it('is more than a handful (the route list is read from the app)', () => {
    expect(bodyRoutes().length).toBeGreaterThan(10);
  });

  it.each([
    ['nested 20,000 levels deep', '['.repeat(20_000) + ']'.repeat(20_000), 400],
    ['nested 33 levels deep', `{"a":${'['.repeat(32)}${']'.repeat(32)}}`, 400],
    ['with a NUL in a string', '{"name":"a\\u0000b","displayName":"x"}', 400],
    ['with an unpaired surrogate', '{"name":"\\ud800"}', 400],
    ['with bytes that are not UTF-8', Buffer.from('{"name":"\xff\xfe"}', 'latin1'), 400],
    ['larger than 1 MiB', `{"name":"${'x'.repeat(1024 * 1024)}"}`, 413],
  ])('refuses a body %s', async (_what, body, status) => {
    await nothingWritten(async () => {
      for (const route of bodyRoutes()) {
        expectRefused(await json(call(route), body), route.path, status);
      }
    });
  });

  it.each(['null', '"text"', '{', '{"a":1,}', '[1,]'])(
    'answers %s with "not valid JSON", not the parser’s words',
    async (body) => {
      await nothingWritten(async () => {
        for (const route of bodyRoutes()) {
          const res = await json(call(route), body);
          expectRefused(
            res,
            route.path,
            400,
            route.path.startsWith('/scim/') ? 'invalidSyntax' : undefined,
          );
          const text = JSON.stringify(res.body);
          expect(text).toContain('the request body is not valid JSON');
          expect(text).not.toMatch(/position|Unexpected|token/i);
        }
      });
    },
  );

  it('answers 415 to a body that is not JSON, or not UTF-8', async () => {
    await nothingWritten(async () => {
      for (const route of bodyRoutes()) {
        for (const type of [
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
        ]) {
          expectRefused(await json(call(route), '{"name":"x"}', type), route.path, 415);
        }
      }
    });
  });
});

describe('NUL, unpaired surrogates and invalid UTF-8', () => {
  it('are refused in API bodies, naming the field', async () => {
    await nothingWritten(async () => {
      for (const [path, body] of [
        ['/api/api-keys', { name: 'a\u0000b', role: 'admin' }],
        ['/api/directory', { name: 'a\u0000b', type: 'scim' }],
        ['/api/directory', { name: 'x', type: 'okta', config: { orgUrl: 'https://a\u0000' } }],
        ['/api/api-keys', { name: 'x\ud800', role: 'admin' }],
      ] as const) {
        const res = await t.http().post(path).set(bearer(acme.adminKey)).send(body);
        const error = expectError(res, 400, { fields: true });
        expect(error.fields).toHaveLength(1);
        expect(error.message).toMatch(
          /^(name|config\.orgUrl) must not contain (NUL characters|unpaired UTF-16 surrogates)$/,
        );
      }
    });
  });

  it('are refused in the URL: query parameters, path parameters, cursors', async () => {
    await nothingWritten(async () => {
      for (const [url, message] of [
        ['/api/employees?email=a%00b', 'email must not contain NUL characters'],
        ['/api/employees?email=%ff', 'the query string is not valid UTF-8 once percent-decoded'],
        ['/api/employees?cursor=AAAA', 'cursor is invalid'],
        ['/api/directory/a%00b', 'the URL path must not contain NUL characters (%00)'],
        ['/api/directory/%c3%28', 'the URL path is not valid UTF-8 once percent-decoded'],
        ['/api/directory/%zz', 'the URL path has a malformed percent-escape'],
        ['/api/sync-jobs?status=%00', 'status must not contain NUL characters'],
      ]) {
        const res = await t.http().get(url).set(bearer(acme.adminKey));
        const fields = 'fields' in (res.body as object);
        expect(expectError(res, 400, { fields }).message).toBe(message);
      }
    });
  });

  it('are refused in SCIM requests, with SCIM errors', async () => {
    const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] };
    await nothingWritten(async () => {
      for (const [method, path, body] of [
        ['post', '/Users', oktaUser('a\u0000@acme.test')],
        ['post', '/Users', oktaUser('bob@acme.test', { name: { givenName: 'B\u0000' } })],
        ['post', '/Users', oktaUser('bob@acme.test', { title: 'x\udfff' })],
        ['post', '/Groups', { ...group, displayName: 'Eng\u0000' }],
        ['put', `/Users/${scimUserId}`, oktaUser('ada@acme.test', { displayName: '\u0000' })],
        [
          'patch',
          `/Users/${scimUserId}`,
          patchOp({ op: 'replace', path: 'title', value: 'a\u0000' }),
        ],
        ['patch', `/Users/${scimUserId}`, patchOp({ op: 'replace', value: { title: '\u0000' } })],
        ['get', '/Users?filter=userName%20eq%20%22a%00%22', undefined],
        ['get', '/Users/a%00b', undefined],
      ] as const) {
        expectScimError(await scim(t, s, method, path, body), 400);
      }
    });
  });
});

describe('fields named like Object.prototype members', () => {
  it.each([
    '{"constructor":{"prototype":{"x":1}}}',
    '{"__proto__":{"x":1}}',
    '{"toString":1}',
    '{"name":"x","hasOwnProperty":"y"}',
  ])('are unknown fields in %s', async (body) => {
    await nothingWritten(async () => {
      for (const path of [`/api/directory/${okta}`, `/api/directory/${okta}/sync`]) {
        const method = path.endsWith('/sync') ? 'post' : 'patch';
        const req = t.http()[method](path).set(bearer(acme.adminKey));
        const error = expectError(await json(req, body), 400, { fields: true });
        expect(error.message).toMatch(
          /^(constructor|__proto__|toString|hasOwnProperty) is not an allowed field$/,
        );
      }
    });
  });

  it('are unknown query parameters too', async () => {
    for (const query of ['toString=1', 'constructor=x', '__proto__=1']) {
      const res = await t.http().get(`/api/employees?${query}`).set(bearer(acme.adminKey));
      expect(expectError(res, 400, { fields: true }).message).toBe(
        `${query.split('=')[0]} is not an allowed field`,
      );
    }
  });
});

describe('paging parameters', () => {
  it('refuses a cursor of another shape, as sync-jobs does', async () => {
    for (const list of ['/api/employees', '/api/sync-jobs']) {
      for (const cursor of ['eyJ4IjoxfQ', 'eyJpZCI6IngifQ', 'AAAA', '%%%']) {
        const res = await t.http().get(`${list}?cursor=${cursor}`).set(bearer(acme.adminKey));
        expect(expectError(res, 400, { fields: true }).message).toBe('cursor is invalid');
      }
    }
  });

  it('takes limit as plain decimal digits only, with one message', async () => {
    for (const [list, max] of [
      ['/api/employees', 500],
      ['/api/sync-jobs', 200],
    ] as const) {
      for (const limit of ['1e2', '0x10', '%205', '5%20', '+5', 'abc', '1&limit=2']) {
        const res = await t.http().get(`${list}?limit=${limit}`).set(bearer(acme.adminKey));
        const error = expectError(res, 400, { fields: true });
        expect(error.message).toBe(`limit must be an integer between 1 and ${max}`);
        expect(error.fields).toHaveLength(1);
      }
      await t.http().get(`${list}?limit=007`).set(bearer(acme.adminKey)).expect(200);
    }
  });
});

describe('what is echoed back', () => {
  it('never carries a control character raw', async () => {
    const field = 'a\u0001\u001b[31mb\u202e';
    const res = await t
      .http()
      .post('/api/api-keys')
      .set(bearer(acme.adminKey))
      .send({ name: 'x', role: 'admin', [field]: 1 });
    const error = expectError(res, 400, { fields: true });
    expect(error.message).toBe('a\\u0001\\u001B[31mb\\u202E is not an allowed field');
    expect(error.fields).toEqual([
      { field: 'a\\u0001\\u001B[31mb\\u202E', message: error.message },
    ]);
  });
});

describe('requests that must keep working', () => {
  it('a POST without a body where the body is optional, with or without a Content-Type', async () => {
    await t.http().post(`/api/directory/${okta}/sync`).set(bearer(acme.adminKey)).expect(202);
    await json(t.http().post(`/api/directory/${okta}/sync`).set(bearer(acme.adminKey)), '').expect(
      202,
    );
    await t
      .http()
      .post(`/api/directory/${okta}/sync`)
      .set(bearer(acme.adminKey))
      .set('Content-Type', 'text/plain')
      .expect(202);
  });

  it('text that is only unusual: emoji, accents, escapes of valid characters', async () => {
    const name = 'Zoë ✓ \u{1F600} \\u0000\tx';
    const res = await json(
      t.http().post('/api/api-keys').set(bearer(acme.adminKey)),
      JSON.stringify({ name, role: 'viewer' }),
    ).expect(201);
    expect((res.body as { name: string }).name).toBe(name);
  });
});

describe('the log', () => {
  it('has no stack and no error line for all of the above, and no request headers', () => {
    const lines = logs.lines();
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(logs.text()).not.toMatch(/stack|"err"/);
    const requests = lines.filter((l) => l.context === 'HTTP');
    expect(requests.length).toBeGreaterThan(100);
    for (const line of requests) {
      expect(line.level).toBe('info');
      expect(line.req).not.toHaveProperty('headers');
      expect(typeof line.requestId).toBe('string');
    }
    expect(logs.text()).not.toContain(acme.adminKey);
  });

  it('has nothing for client errors at LOG_LEVEL=warn', async () => {
    const quiet = capturedLogger('warn');
    const app = await startTestApp({}, t.db, quiet.log);
    try {
      await json(app.http().post('/api/api-keys'), '{"name":"\\u0000"}').expect(400);
      await app.http().get('/api/employees?limit=1e2').set(bearer(acme.adminKey)).expect(400);
      await json(app.http().post('/api/api-keys'), '['.repeat(20_000)).expect(400);
      await app.http().get('/api/directory/%ff').expect(400);
      expect(quiet.text()).toBe('');
    } finally {
      await app.close();
    }
  });
});
