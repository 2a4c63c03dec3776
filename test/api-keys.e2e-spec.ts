import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';
import { expectError } from './support/errors.js';

/** POST / GET /api/api-keys and DELETE /api/api-keys/:id: keys are shown once, stored hashed. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface CreatedKey {
  id: string;
  name: string;
  role: string;
  key: string;
  createdAt: string;
  prefix?: string;
}
interface ListedKey {
  id: string;
  name: string;
  role: string;
  prefix: string;
  lastUsedAt: string | null;
  createdAt: string;
}

let t: TestApp;
/** Every plaintext key this file has seen: none may ever show up in a list or in the table. */
const plaintexts: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function newCompany(name: string): Promise<TestCompany> {
  const company = await createCompany(t, name);
  plaintexts.push(company.adminKey);
  return company;
}

function post(adminKey: string, body: unknown) {
  return t
    .http()
    .post('/api/api-keys')
    .set(bearer(adminKey))
    .send(body as object);
}

async function create(adminKey: string, name: string, role: 'admin' | 'viewer') {
  const res = await post(adminKey, { name, role }).expect(201);
  const created = res.body as CreatedKey;
  plaintexts.push(created.key);
  return created;
}

async function list(key: string): Promise<ListedKey[]> {
  const res = await t.http().get('/api/api-keys').set(bearer(key)).expect(200);
  const body = res.body as { items: ListedKey[] };
  expect(Object.keys(body)).toEqual(['items']);
  return body.items;
}

const revoke = (key: string, id: string) => t.http().delete(`/api/api-keys/${id}`).set(bearer(key));

const works = async (key: string) =>
  (await t.http().get('/api/api-keys').set(bearer(key))).status === 200;

async function keyCount(): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_key');
  return row.n;
}

async function revokedAt(id: string): Promise<Date | null> {
  const [row] = await t.db.query<{ revoked_at: Date | null }>(
    'SELECT revoked_at FROM api_key WHERE id = $1',
    [id],
  );
  return row.revoked_at;
}

describe('POST /api/api-keys', () => {
  let acme: TestCompany;
  beforeAll(async () => {
    acme = await newCompany('Acme');
  });

  it.each(['admin', 'viewer'] as const)(
    'creates a %s key: 201 {id, name, role, key, createdAt}',
    async (role) => {
      const before = Date.now();
      const res = await post(acme.adminKey, { name: `${role} for CI`, role }).expect(201);
      const created = res.body as CreatedKey;
      plaintexts.push(created.key);
      expect(created).toEqual(
        expect.objectContaining({
          id: expect.stringMatching(UUID) as unknown,
          name: `${role} for CI`,
          role,
          key: expect.stringMatching(/^dsk_/) as unknown,
          createdAt: expect.any(String) as unknown,
        }),
      );
      expect(created).not.toHaveProperty('keyHash');
      expect(created).not.toHaveProperty('key_hash');
      expect(created).not.toHaveProperty('companyId');
      expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 5_000);
      expect(Date.parse(created.createdAt)).toBeLessThanOrEqual(Date.now() + 5_000);

      // The key works, with that role.
      await t.http().get('/api/directory').set(bearer(created.key)).expect(200);
      const write = await post(created.key, { name: 'probe', role: 'viewer' });
      expect(write.status).toBe(role === 'admin' ? 201 : 403);
      if (write.status === 201) plaintexts.push((write.body as CreatedKey).key);

      const [row] = await t.db.query<{ company_id: string; role: string; name: string }>(
        'SELECT company_id, role, name FROM api_key WHERE id = $1',
        [created.id],
      );
      expect(row).toEqual({ company_id: acme.id, role, name: created.name });
    },
  );

  it('stores only the SHA-256 (hex) of the key, and a short prefix', async () => {
    const created = await create(acme.adminKey, 'hashed', 'viewer');
    const [row] = await t.db.query<{ key_hash: string; prefix: string }>(
      'SELECT key_hash, prefix FROM api_key WHERE id = $1',
      [created.id],
    );
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.key_hash).toBe(sha256(created.key));
    expect(created.key.startsWith(row.prefix)).toBe(true);
    expect(row.prefix.length).toBeLessThanOrEqual(16);
    // The prefix is something to recognise a key by, not the key.
    expect(created.key.length - row.prefix.length).toBeGreaterThanOrEqual(32);
  });

  it('keys are at least 32 random bytes', async () => {
    const keys = await Promise.all(
      Array.from({ length: 8 }, (_, i) => create(acme.adminKey, `random ${i}`, 'viewer')),
    );
    for (const { key } of keys) {
      const match = /^dsk_([A-Za-z0-9_-]+)$/.exec(key);
      expect(match).not.toBeNull();
      expect(Buffer.from(match![1], 'base64url').length).toBeGreaterThanOrEqual(32);
    }
    const secrets = keys.map((k) => k.key.slice(4));
    expect(new Set(secrets).size).toBe(secrets.length);
    // Random: not a counter or a timestamp; no shared leading bytes beyond chance.
    expect(new Set(secrets.map((s) => s.slice(0, 4))).size).toBe(secrets.length);
  });

  it('the plaintext of a key is nowhere in the api_key table', async () => {
    const rows = await t.db.query<{ row: string }>(
      'SELECT row_to_json(k)::text AS row FROM api_key k',
    );
    expect(rows.length).toBeGreaterThan(0);
    const dump = rows.map((r) => r.row).join('\n');
    for (const key of plaintexts) {
      expect(dump).not.toContain(key);
      // Not even the secret part without the `dsk_` kind.
      expect(dump).not.toContain(key.slice(4));
    }
  });

  it.each([
    ['an unknown role', { name: 'x', role: 'owner' }],
    ['an upper-case role', { name: 'x', role: 'ADMIN' }],
    ['a missing role', { name: 'x' }],
    ['a null role', { name: 'x', role: null }],
    ['a role that is not a string', { name: 'x', role: 1 }],
  ])('%s: 400 naming `role`, nothing written', async (_, body) => {
    const before = await keyCount();
    const error = expectError(await post(acme.adminKey, body), 400, { fields: true });
    expect(error.fields).toEqual([{ field: 'role', message: 'role must be one of admin, viewer' }]);
    expect(error.message).toMatch(/role/);
    expect(await keyCount()).toBe(before);
  });

  it.each([
    ['a missing name', { role: 'viewer' }],
    ['an empty name', { name: '', role: 'viewer' }],
    ['a blank name', { name: '   ', role: 'viewer' }],
    ['a name of 201 characters', { name: 'x'.repeat(201), role: 'viewer' }],
    ['a name that is not a string', { name: ['x'], role: 'viewer' }],
  ])('%s: 400 naming `name`, nothing written', async (_, body) => {
    const before = await keyCount();
    const error = expectError(await post(acme.adminKey, body), 400, { fields: true });
    expect(error.fields!.length).toBeGreaterThan(0);
    for (const field of error.fields!) expect(field.field).toBe('name');
    expect(await keyCount()).toBe(before);
  });

  it('names every bad field at once', async () => {
    const error = expectError(await post(acme.adminKey, { role: 'root', extra: 1 }), 400, {
      fields: true,
    });
    expect(new Set(error.fields!.map((f) => f.field))).toEqual(new Set(['name', 'role', 'extra']));
  });

  it.each([
    ['a key of its own', { name: 'x', role: 'viewer', key: 'dsk_chosen-by-the-caller' }],
    ['a hash of its own', { name: 'x', role: 'viewer', keyHash: sha256('dsk_mine') }],
    ['an id of its own', { name: 'x', role: 'viewer', id: randomUUID() }],
  ])('%s: 400 (unknown fields are forbidden), nothing written', async (_, body) => {
    const before = await keyCount();
    expectError(await post(acme.adminKey, body), 400, { fields: true });
    expect(await keyCount()).toBe(before);
  });
});

describe('GET /api/api-keys', () => {
  let acme: TestCompany;
  let beta: TestCompany;
  let acmeViewer: CreatedKey;
  let betaAdmin: CreatedKey;

  beforeAll(async () => {
    acme = await newCompany('Acme');
    beta = await newCompany('Beta');
    acmeViewer = await create(acme.adminKey, 'dashboard', 'viewer');
    betaAdmin = await create(beta.adminKey, 'beta ops', 'admin');
  });

  it('lists the company’s keys without any key material', async () => {
    const items = await list(acme.adminKey);
    expect(items.map((k) => k.id)).toEqual([acme.adminKeyId, acmeViewer.id]);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual([
        'createdAt',
        'id',
        'lastUsedAt',
        'name',
        'prefix',
        'role',
      ]);
    }
    expect(items[1]).toEqual({
      id: acmeViewer.id,
      name: 'dashboard',
      role: 'viewer',
      prefix: expect.any(String) as unknown,
      lastUsedAt: null,
      createdAt: acmeViewer.createdAt,
    });
    expect(acmeViewer.key.startsWith(items[1].prefix)).toBe(true);
  });

  it('never contains a plaintext key, a hash, or a company id anywhere in the JSON', async () => {
    for (const caller of [acme.adminKey, acmeViewer.key, beta.adminKey, betaAdmin.key]) {
      const res = await t.http().get('/api/api-keys').set(bearer(caller)).expect(200);
      const json = JSON.stringify(res.body);
      for (const key of plaintexts) {
        expect(json).not.toContain(key);
        expect(json).not.toContain(sha256(key));
      }
      expect(json).not.toMatch(/"key"|keyHash|key_hash|companyId|company_id/);
    }
  });

  it('a viewer may list', async () => {
    expect((await list(acmeViewer.key)).map((k) => k.id)).toEqual([acme.adminKeyId, acmeViewer.id]);
  });

  it('is company-scoped', async () => {
    const acmeIds = (await list(acme.adminKey)).map((k) => k.id);
    const betaIds = (await list(beta.adminKey)).map((k) => k.id);
    expect(betaIds).toEqual([beta.adminKeyId, betaAdmin.id]);
    expect(acmeIds.filter((id) => betaIds.includes(id))).toEqual([]);
  });
});

describe('DELETE /api/api-keys/:id', () => {
  it('204 with no body; the key stops working at once and is no longer listed', async () => {
    const acme = await newCompany('Acme');
    const viewer = await create(acme.adminKey, 'to revoke', 'viewer');
    await t.http().get('/api/directory').set(bearer(viewer.key)).expect(200);

    const res = await revoke(acme.adminKey, viewer.id).expect(204);
    expect(res.text).toBe('');

    const after = expectError(await t.http().get('/api/directory').set(bearer(viewer.key)), 401);
    expect(after.message).toMatch(/revoked/);
    expect((await list(acme.adminKey)).map((k) => k.id)).not.toContain(viewer.id);
    // Kept for the record, marked revoked.
    expect(await revokedAt(viewer.id)).toBeInstanceOf(Date);
  });

  it('revoking an already revoked key is 404', async () => {
    const acme = await newCompany('Acme');
    const viewer = await create(acme.adminKey, 'twice', 'viewer');
    await revoke(acme.adminKey, viewer.id).expect(204);
    const first = await revokedAt(viewer.id);
    const again = expectError(await revoke(acme.adminKey, viewer.id), 404);
    const missing = expectError(await revoke(acme.adminKey, randomUUID()), 404);
    expect(again).toEqual(missing);
    expect(await revokedAt(viewer.id)).toEqual(first);
  });

  it('an admin key may revoke itself while another admin key remains', async () => {
    const acme = await newCompany('Acme');
    const second = await create(acme.adminKey, 'second admin', 'admin');
    await revoke(acme.adminKey, acme.adminKeyId).expect(204);
    expect(await works(acme.adminKey)).toBe(false);
    expect(await works(second.key)).toBe(true);
  });

  it('the last admin key cannot be revoked: 409, and it keeps working', async () => {
    const acme = await newCompany('Acme');
    // Viewer keys do not count: nobody could manage the company with them.
    const viewer = await create(acme.adminKey, 'viewer', 'viewer');

    const conflict = expectError(await revoke(acme.adminKey, acme.adminKeyId), 409);
    expect(conflict.message).toMatch(/last admin key/);
    expect(await works(acme.adminKey)).toBe(true);
    expect(await revokedAt(acme.adminKeyId)).toBeNull();
    expect((await list(acme.adminKey)).map((k) => k.id)).toEqual([acme.adminKeyId, viewer.id]);

    // A viewer key can go, though.
    await revoke(acme.adminKey, viewer.id).expect(204);
  });

  it('once a second admin key has gone, the first is the last again', async () => {
    const acme = await newCompany('Acme');
    const second = await create(acme.adminKey, 'second admin', 'admin');
    await revoke(acme.adminKey, second.id).expect(204);
    expectError(await revoke(acme.adminKey, acme.adminKeyId), 409);
    expect(await works(acme.adminKey)).toBe(true);
  });

  it('two admin keys revoking each other at the same time: one goes, one stays', async () => {
    // A race, so several rounds. (The key rows locked in opposite orders once deadlocked here:
    // a 500 after Postgres' deadlock timeout in about a third of the rounds.)
    for (let round = 0; round < 10; round++) {
      const acme = await newCompany(`Race ${round}`);
      const second = await create(acme.adminKey, 'second admin', 'admin');
      // Both keys used once already, so the race is between the two revocations themselves.
      expect(await works(acme.adminKey)).toBe(true);
      expect(await works(second.key)).toBe(true);

      const statuses = (
        await Promise.all([revoke(acme.adminKey, second.id), revoke(second.key, acme.adminKeyId)])
      ).map((res) => res.status);
      // One revocation wins. The other is refused as the last admin key (409), or, when the
      // winner committed before it was even authenticated, its own key is already gone (401).
      expect(statuses).toContain(204);
      expect(statuses.filter((s) => s === 204)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409 || s === 401)).toHaveLength(1);

      const [{ n }] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM api_key
          WHERE company_id = $1 AND role = 'admin' AND revoked_at IS NULL`,
        [acme.id],
      );
      expect(n).toBe(1);
      expect([await works(acme.adminKey), await works(second.key)].sort()).toEqual([false, true]);
    }
  });

  it('another company’s key: 404 exactly like a missing one, and nothing changes', async () => {
    const acme = await newCompany('Acme');
    const beta = await newCompany('Beta');
    const betaViewer = await create(beta.adminKey, 'beta viewer', 'viewer');
    const betaAdmin2 = await create(beta.adminKey, 'beta admin', 'admin');

    const missing = expectError(await revoke(acme.adminKey, randomUUID()), 404);
    for (const id of [betaViewer.id, betaAdmin2.id, beta.adminKeyId]) {
      expect(expectError(await revoke(acme.adminKey, id), 404)).toEqual(missing);
      expect(await revokedAt(id)).toBeNull();
    }
    expect(await works(betaViewer.key)).toBe(true);
    expect(await works(betaAdmin2.key)).toBe(true);
    expect(await works(beta.adminKey)).toBe(true);
    expect((await list(beta.adminKey)).map((k) => k.id)).toEqual([
      beta.adminKeyId,
      betaViewer.id,
      betaAdmin2.id,
    ]);
  });

  it('a malformed id is 400', async () => {
    const acme = await newCompany('Acme');
    const error = expectError(await revoke(acme.adminKey, 'not-a-uuid'), 400);
    expect(error.message).toBe('id must be a UUID');
  });
});

describe('GET /api/me', () => {
  it('names the caller: company, key and role, for admin and viewer keys', async () => {
    const acme = await newCompany('Acme Me');
    const viewer = await create(acme.adminKey, 'dashboard', 'viewer');

    const admin = await t.http().get('/api/me').set(bearer(acme.adminKey)).expect(200);
    expect(admin.body).toEqual({
      companyId: acme.id,
      companyName: 'Acme Me',
      keyId: acme.adminKeyId,
      keyName: expect.any(String) as unknown,
      role: 'admin',
    });
    const me = await t.http().get('/api/me').set(bearer(viewer.key)).expect(200);
    expect(me.body).toEqual({
      companyId: acme.id,
      companyName: 'Acme Me',
      keyId: viewer.id,
      keyName: 'dashboard',
      role: 'viewer',
    });
  });

  it('each company’s key sees its own company only', async () => {
    const beta = await newCompany('Beta Me');
    const me = await t.http().get('/api/me').set(bearer(beta.adminKey)).expect(200);
    expect(me.body).toMatchObject({ companyId: beta.id, companyName: 'Beta Me' });
  });

  it('401 without a key, with an unknown key and with a revoked key', async () => {
    const acme = await newCompany('Acme Revoked');
    const viewer = await create(acme.adminKey, 'short-lived', 'viewer');
    await revoke(acme.adminKey, viewer.id).expect(204);

    expectError(await t.http().get('/api/me'), 401);
    expectError(await t.http().get('/api/me').set(bearer('dsk_unknown')), 401);
    const revoked = expectError(await t.http().get('/api/me').set(bearer(viewer.key)), 401);
    expect(revoked.message).toMatch(/revoked/);
  });
});
