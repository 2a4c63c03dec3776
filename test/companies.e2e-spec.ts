import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import {
  bearer,
  createCompany,
  PLATFORM_TOKEN,
  startTestApp,
  TEST_ENCRYPTION_KEY,
  type TestApp,
} from './support/test-app.js';
import { expectError } from './support/errors.js';

/** POST /api/admin/companies (platform operators) and its CLI twin, `company:create`. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface CreatedCompany {
  company: { id: string; name: string; createdAt: string };
  apiKey: { id: string; key: string; role: string };
}

/** The exact shape of a creation result, from the API or from the CLI. */
function expectCreated(body: unknown, name: string): CreatedCompany {
  const created = body as CreatedCompany;
  expect(Object.keys(created).sort()).toEqual(['apiKey', 'company']);
  expect(Object.keys(created.company).sort()).toEqual(['createdAt', 'id', 'name']);
  expect(Object.keys(created.apiKey).sort()).toEqual(['id', 'key', 'role']);
  expect(created.company.id).toMatch(UUID);
  expect(created.company.name).toBe(name);
  expect(new Date(created.company.createdAt).toISOString()).toBe(created.company.createdAt);
  expect(Math.abs(Date.parse(created.company.createdAt) - Date.now())).toBeLessThan(60_000);
  expect(created.apiKey.id).toMatch(UUID);
  expect(created.apiKey.key).toMatch(/^dsk_[A-Za-z0-9_-]{43,}$/);
  expect(created.apiKey.role).toBe('admin');
  return created;
}

/** The rows behind a creation: the company and its one admin key, stored as a hash. */
async function expectStored(db: TestDatabase, created: CreatedCompany): Promise<void> {
  const companies = await db.query<{ name: string; created_at: Date }>(
    'SELECT name, created_at FROM company WHERE id = $1',
    [created.company.id],
  );
  expect(companies).toHaveLength(1);
  expect(companies[0].name).toBe(created.company.name);
  expect(companies[0].created_at.toISOString()).toBe(created.company.createdAt);
  const keys = await db.query<{ id: string; role: string; key_hash: string; revoked_at: unknown }>(
    'SELECT id, role, key_hash, revoked_at FROM api_key WHERE company_id = $1',
    [created.company.id],
  );
  expect(keys).toEqual([
    {
      id: created.apiKey.id,
      role: 'admin',
      key_hash: sha256(created.apiKey.key),
      revoked_at: null,
    },
  ]);
}

async function counts(db: TestDatabase) {
  const [row] = await db.query<{ companies: number; keys: number }>(
    `SELECT (SELECT count(*)::int FROM company) AS companies,
            (SELECT count(*)::int FROM api_key) AS keys`,
  );
  return row;
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** `token: null` sends no Authorization header at all. */
const post = (body: unknown, token: string | null = PLATFORM_TOKEN) => {
  const req = t.http().post('/api/admin/companies');
  if (token !== null) req.set(bearer(token));
  return req.send(body as object);
};

describe('POST /api/admin/companies', () => {
  it('creates a company and its first admin key: 201 {company, apiKey}', async () => {
    const res = await post({ name: 'Acme' }).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const created = expectCreated(res.body, 'Acme');
    await expectStored(t.db, created);
  });

  it('the returned key is a working admin key of that company', async () => {
    const created = expectCreated((await post({ name: 'Keyed' }).expect(201)).body, 'Keyed');
    const list = await t.http().get('/api/api-keys').set(bearer(created.apiKey.key)).expect(200);
    const items = (list.body as { items: { id: string; role: string }[] }).items;
    expect(items).toEqual([expect.objectContaining({ id: created.apiKey.id, role: 'admin' })]);
    // Admin: it may write.
    await t
      .http()
      .post('/api/api-keys')
      .set(bearer(created.apiKey.key))
      .send({ name: 'second', role: 'viewer' })
      .expect(201);
  });

  it('every company is separate: new ids, new keys', async () => {
    const one = expectCreated((await post({ name: 'Same' }).expect(201)).body, 'Same');
    const two = expectCreated((await post({ name: 'Same' }).expect(201)).body, 'Same');
    expect(two.company.id).not.toBe(one.company.id);
    expect(two.apiKey.id).not.toBe(one.apiKey.id);
    expect(two.apiKey.key).not.toBe(one.apiKey.key);
  });

  it('trims the name and accepts 200 characters', async () => {
    expectCreated((await post({ name: '  Padded Inc  ' }).expect(201)).body, 'Padded Inc');
    const long = 'x'.repeat(200);
    expectCreated((await post({ name: long }).expect(201)).body, long);
  });

  it('accepts the scheme in any case', async () => {
    const res = await t
      .http()
      .post('/api/admin/companies')
      .set('Authorization', `bearer ${PLATFORM_TOKEN}`)
      .send({ name: 'Lowercase' })
      .expect(201);
    expectCreated(res.body, 'Lowercase');
  });

  it.each([
    ['no Authorization header', null],
    ['a wrong platform token', 'wrong-token'],
    ['the platform token with a suffix', `${PLATFORM_TOKEN}x`],
    ['a prefix of the platform token', PLATFORM_TOKEN.slice(0, -1)],
    ['an empty bearer', ''],
  ])('%s: 401 and nothing written', async (_, token) => {
    const before = await counts(t.db);
    const body = expectError(await post({ name: 'Intruder' }, token), 401);
    expect(body.message).toMatch(/platform admin token/);
    expect(await counts(t.db)).toEqual(before);
  });

  it('the platform token under another scheme: 401', async () => {
    const before = await counts(t.db);
    const res = await t
      .http()
      .post('/api/admin/companies')
      .set('Authorization', `Basic ${PLATFORM_TOKEN}`)
      .send({ name: 'Intruder' });
    expectError(res, 401);
    expect(await counts(t.db)).toEqual(before);
  });

  it('a company API key is not the platform token: 401', async () => {
    const company = await createCompany(t, 'Tenant');
    const before = await counts(t.db);
    expectError(await post({ name: 'Escalated' }, company.adminKey), 401);
    expect(await counts(t.db)).toEqual(before);
  });

  it('checks the token before the body: a bad body with a bad token is 401', async () => {
    expectError(await post({ nonsense: true }, 'wrong-token'), 401);
    expectError(await post({ nonsense: true }, null), 401);
  });

  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a name of 201 characters', { name: 'x'.repeat(201) }],
    ['a name that is not a string', { name: 42 }],
    ['a null name', { name: null }],
  ])('%s: 400 naming `name`, nothing written', async (_, body) => {
    const before = await counts(t.db);
    const error = expectError(await post(body), 400, { fields: true });
    expect(error.fields!.length).toBeGreaterThan(0);
    for (const field of error.fields!) expect(field.field).toBe('name');
    expect(error.message).toMatch(/name/);
    expect(await counts(t.db)).toEqual(before);
  });

  it.each([
    ['an unknown field', { name: 'Acme', plan: 'enterprise' }, 'plan'],
    ['an id', { name: 'Acme', id: '3b241101-e2bb-4255-8caf-4136c566a962' }, 'id'],
    ['a key of its own', { name: 'Acme', apiKey: { key: 'dsk_mine', role: 'admin' } }, 'apiKey'],
  ])('%s: 400, unknown fields are forbidden, nothing written', async (_, body, field) => {
    const before = await counts(t.db);
    const error = expectError(await post(body), 400, { fields: true });
    expect(error.fields).toEqual([{ field, message: `${field} is not an allowed field` }]);
    expect(await counts(t.db)).toEqual(before);
  });

  it('malformed JSON: 400 in the same error shape, nothing written', async () => {
    const before = await counts(t.db);
    const res = await t
      .http()
      .post('/api/admin/companies')
      .set(bearer(PLATFORM_TOKEN))
      .set('Content-Type', 'application/json')
      .send('{"name": ');
    expectError(res, 400);
    expect(await counts(t.db)).toEqual(before);
  });
});

describe('POST /api/admin/companies without PLATFORM_ADMIN_TOKEN', () => {
  let off: TestApp;
  beforeAll(async () => {
    off = await startTestApp({ PLATFORM_ADMIN_TOKEN: '' });
  });
  afterAll(() => off.close());

  it('is 404, exactly like a route that does not exist', async () => {
    const unknown = expectError(
      await off.http().post('/api/admin/no-such-route').send({ name: 'Acme' }),
      404,
    );
    expect(unknown.message).toBe('Cannot POST /api/admin/no-such-route');

    const cases = [
      off.http().post('/api/admin/companies').send({ name: 'Acme' }),
      off.http().post('/api/admin/companies').set(bearer(PLATFORM_TOKEN)).send({ name: 'Acme' }),
      off.http().post('/api/admin/companies').set(bearer('anything')).send({ bad: 'body' }),
    ];
    for (const pending of cases) {
      const res = await pending;
      const body = expectError(res, 404);
      expect(body).toEqual({
        ...unknown,
        message: unknown.message.replace('/api/admin/no-such-route', '/api/admin/companies'),
      });
    }
    expect(await counts(off.db)).toEqual({ companies: 0, keys: 0 });
  });
});

describe('CLI: company:create', () => {
  const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
  let db: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'directory-sync-cli-'));
  });
  afterAll(async () => {
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      // Nothing may land in the working copy's ./.data, whatever happens.
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { env }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('prints the company and its admin key as JSON and stores them', async () => {
    const { code, stdout, stderr } = await run(['company:create', '--name', 'Acme']);
    if (code !== 0) throw new Error(`exit code ${code}; stderr:\n${stderr}`);
    // stdout is the JSON and nothing else: progress goes to stderr.
    const created = expectCreated(JSON.parse(stdout), 'Acme');
    await expectStored(db, created);
  });

  it('bad arguments: a non-zero exit, a usage line on stderr, nothing written', async () => {
    const before = await counts(db);
    const cases: [string, string[], RegExp][] = [
      ['without --name', ['company:create'], /usage: .*company:create --name/],
      ['a blank --name', ['company:create', '--name', '  '], /usage: .*company:create --name/],
      ['--name without value', ['company:create', '--name'], /usage: .*company:create --name/],
      ['an unknown command', ['company:destroy'], /usage: .*\n.*company:create --name/],
    ];
    // (Each case is a process that loads the whole app: ~0.7 s of CPU, so only a few.)
    const results = await Promise.all(cases.map(([, args]) => run(args)));
    results.forEach(({ code, stdout, stderr }, i) => {
      const [what, , usage] = cases[i];
      expect({ what, failed: code !== 0, stdout, usage: usage.test(stderr) }).toEqual({
        what,
        failed: true,
        stdout: '',
        usage: true,
      });
    });
    expect(await counts(db)).toEqual(before);
  });

  it('wrote nothing into DATA_DIR (DATABASE_URL and ENCRYPTION_KEY were given)', async () => {
    expect(await readdir(dataDir)).toEqual([]);
  });
});
