import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { ConfigCrypto } from '../src/directory/config-crypto.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  TEST_ENCRYPTION_KEY,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

const MASK = '********';
const crypto = new ConfigCrypto(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));

type ConnectionType =
  'okta' | 'entra-id' | 'google-workspace' | 'ldap' | 'aws-identity-center' | 'scim';

interface Fixture {
  /** The config field that is a secret (none for scim). */
  secretField?: string;
  /** Fields a config must have. */
  required: string[];
  /** A valid config whose secret contains `marker`. */
  config(marker: string): Record<string, unknown>;
}

const FIXTURES: Record<ConnectionType, Fixture> = {
  okta: {
    secretField: 'apiToken',
    required: ['orgUrl', 'apiToken'],
    config: (marker) => ({ orgUrl: 'https://acme.okta.com', apiToken: `00a${marker}` }),
  },
  'entra-id': {
    secretField: 'clientSecret',
    required: ['tenantId', 'clientId', 'clientSecret'],
    config: (marker) => ({
      tenantId: 'acme.onmicrosoft.com',
      clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
      clientSecret: `Xy8Q~${marker}`,
    }),
  },
  'google-workspace': {
    secretField: 'privateKey',
    required: ['serviceAccountEmail', 'privateKey', 'delegatedAdminEmail'],
    config: (marker) => ({
      serviceAccountEmail: 'sync@acme-project.iam.gserviceaccount.com',
      privateKey: `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg${marker}\n-----END PRIVATE KEY-----\n`,
      delegatedAdminEmail: 'admin@acme.com',
      customerId: 'C01abc23',
    }),
  },
  ldap: {
    secretField: 'bindPassword',
    required: ['url', 'bindDN', 'bindPassword', 'baseDN'],
    config: (marker) => ({
      url: 'ldaps://ldap.acme.com:636',
      bindDN: 'cn=sync,dc=acme,dc=com',
      bindPassword: `pw-${marker}`,
      baseDN: 'ou=people,dc=acme,dc=com',
      userFilter: '(objectClass=inetOrgPerson)',
    }),
  },
  'aws-identity-center': {
    secretField: 'secretAccessKey',
    required: ['region', 'identityStoreId', 'accessKeyId', 'secretAccessKey'],
    config: (marker) => ({
      region: 'eu-west-1',
      identityStoreId: 'd-1234567890',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: `wJalr/${marker}`,
    }),
  },
  scim: { required: [], config: () => ({}) },
};

const TYPES = Object.keys(FIXTURES) as ConnectionType[];
const SECRET_TYPES = TYPES.filter((type) => FIXTURES[type].secretField);

interface ConnectionView {
  id: string;
  name: string;
  type: ConnectionType;
  status: string;
  config: Record<string, unknown>;
  syncIntervalMinutes: number | null;
  maxAttempts: number;
  deprovisionThresholdPercent: number;
  lastSyncAt: string | null;
  lastSyncCount: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  scimBaseUrl?: string;
  scimToken?: string;
}

interface FieldError {
  field: string;
  message: string;
}

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: FieldError[];
}

interface RawRow {
  id: string;
  company_id: string;
  name: string;
  type: string;
  status: string;
  config_encrypted: Buffer;
  scim_token_hash: string | null;
  sync_interval_minutes: number | null;
  max_attempts: number;
  deprovision_threshold_percent: number;
  /** Text, so that a change below the millisecond is still seen. */
  updated_at_text: string;
}

const view = (res: Response) => res.body as ConnectionView;
const list = (res: Response) => (res.body as { items: ConnectionView[] }).items;

/** A unique, recognisable piece of secret: if it shows up anywhere, a secret leaked. */
const newMarker = () => `SECRET${randomBytes(12).toString('hex')}`;

/** Every secret and SCIM token created in this file: no later response may contain one. */
const secretsSeen: string[] = [];

function expectNoSecrets(res: Response, except?: string): void {
  for (const secret of secretsSeen) {
    if (secret !== except) expect(res.text).not.toContain(secret);
  }
}

function validBody(type: ConnectionType, marker = newMarker()) {
  if (FIXTURES[type].secretField) secretsSeen.push(marker);
  return { name: `${type} connection`, type, config: FIXTURES[type].config(marker) };
}

/** The 400 shape, with one entry of `fields` naming `field` (and matching `message`). */
function expectFieldError(res: Response, field: string, message: RegExp = /./): void {
  expect(res.status).toBe(400);
  const body = res.body as ErrorBody;
  expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  expect(typeof body.message).toBe('string');
  expect(body.fields).toEqual(
    expect.arrayContaining([{ field, message: expect.stringMatching(message) as unknown }]),
  );
  expectNoSecrets(res);
}

let t: TestApp;
let acme: TestCompany;

const countRows = async (app: TestApp = t) =>
  (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM directory_connection'))[0].n;

async function rawRow(id: string, app: TestApp = t): Promise<RawRow | undefined> {
  const rows = await app.db.query<RawRow>(
    'SELECT *, updated_at::text AS updated_at_text FROM directory_connection WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function storedConfig(id: string): Promise<Record<string, unknown>> {
  const row = await rawRow(id);
  if (!row) throw new Error(`no row ${id}`);
  return crypto.decrypt(row.config_encrypted, id);
}

const post = (body: unknown, key = acme.adminKey, app: TestApp = t) =>
  app
    .http()
    .post('/api/directory')
    .set(bearer(key))
    .send(body as object);
const get = (id: string, key = acme.adminKey) =>
  t.http().get(`/api/directory/${id}`).set(bearer(key));
const getList = (key = acme.adminKey) => t.http().get('/api/directory').set(bearer(key));
const patch = (id: string, body: unknown, key = acme.adminKey) =>
  t
    .http()
    .patch(`/api/directory/${id}`)
    .set(bearer(key))
    .send(body as object);
const del = (id: string, key = acme.adminKey) =>
  t.http().delete(`/api/directory/${id}`).set(bearer(key));

async function createConnection(
  type: ConnectionType,
  extra: Record<string, unknown> = {},
  key = acme.adminKey,
): Promise<ConnectionView> {
  const res = await post({ ...validBody(type), ...extra }, key);
  expect(res.status).toBe(201);
  return view(res);
}

beforeAll(async () => {
  t = await startTestApp();
  acme = await createCompany(t, 'Acme');
});
afterAll(() => t.close());

describe.each(SECRET_TYPES)('%s: the secret never leaves the service', (type) => {
  const { secretField } = FIXTURES[type] as Required<Fixture>;
  const marker = newMarker();
  const body = validBody(type, marker);
  const secret = body.config[secretField] as string;
  let id: string;

  it('create answers 201 with the secret masked', async () => {
    const res = await post(body);
    expect(res.status).toBe(201);
    expect(res.text).not.toContain(marker);
    expect(res.text).not.toContain(JSON.stringify(secret).slice(1, -1));
    const created = view(res);
    id = created.id;
    expect(created).toMatchObject({
      name: body.name,
      type,
      status: 'PENDING',
      config: { ...body.config, [secretField]: MASK },
    });
    expect(created.scimToken).toBeUndefined();
  });

  it('GET by id masks it', async () => {
    const res = await get(id).expect(200);
    expect(res.text).not.toContain(marker);
    expect(view(res).config).toEqual({ ...body.config, [secretField]: MASK });
  });

  it('GET list masks it', async () => {
    const res = await getList().expect(200);
    expect(res.text).not.toContain(marker);
    const mine = list(res).find((c) => c.id === id);
    expect(mine?.config[secretField]).toBe(MASK);
    expectNoSecrets(res);
  });

  it('a viewer key sees it masked too', async () => {
    const viewer = await createKey(t, acme.adminKey, 'viewer');
    const res = await get(id, viewer.key).expect(200);
    expect(res.text).not.toContain(marker);
    expect(view(res).config[secretField]).toBe(MASK);
  });

  it('PATCH masks it', async () => {
    const res = await patch(id, { name: `${type} renamed` }).expect(200);
    expect(res.text).not.toContain(marker);
    expect(view(res)).toMatchObject({ name: `${type} renamed`, config: { [secretField]: MASK } });
    const withConfig = await patch(id, { config: {} }).expect(200);
    expect(withConfig.text).not.toContain(marker);
    expect(view(withConfig).config[secretField]).toBe(MASK);
  });

  it('the stored row holds it only encrypted', async () => {
    const row = await rawRow(id);
    expect(row).toBeDefined();
    expect(Buffer.isBuffer(row?.config_encrypted)).toBe(true);
    expect(row?.config_encrypted.includes(Buffer.from(marker))).toBe(false);
    expect(row?.config_encrypted.includes(Buffer.from(secret))).toBe(false);
    expect(row?.scim_token_hash).toBeNull();
    // ... yet it is there: the service can decrypt it (the row id is the associated data)
    expect(await storedConfig(id)).toEqual(body.config);
    const anywhere = await t.db.query<{ hit: boolean }>(
      `SELECT bool_or(t::text LIKE '%' || $1 || '%') AS hit FROM directory_connection t`,
      [marker],
    );
    expect(anywhere[0].hit).toBe(false);
  });
});

describe('scim', () => {
  let created: ConnectionView;
  let token: string;

  it('create answers 201 with the bearer token, this once', async () => {
    const res = await post({ name: 'Push from Okta', type: 'scim' });
    expect(res.status).toBe(201);
    created = view(res);
    expect(created.scimToken).toMatch(/^scim_[A-Za-z0-9_-]{40,}$/);
    token = created.scimToken as string;
    secretsSeen.push(token);
    expect(created).toMatchObject({
      type: 'scim',
      status: 'PENDING',
      config: {},
      scimBaseUrl: `/scim/v2/${created.id}`,
    });
    expect(res.text.split(token)).toHaveLength(2);
  });

  it('stores only the token hash', async () => {
    const row = await rawRow(created.id);
    expect(row?.scim_token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(row?.config_encrypted.includes(Buffer.from(token))).toBe(false);
    const anywhere = await t.db.query<{ hit: boolean }>(
      `SELECT bool_or(t::text LIKE '%' || $1 || '%') AS hit FROM directory_connection t`,
      [token],
    );
    expect(anywhere[0].hit).toBe(false);
  });

  it('GET, list and PATCH never show the token again', async () => {
    const one = await get(created.id).expect(200);
    expect(one.text).not.toContain(token);
    expect(view(one).scimToken).toBeUndefined();
    expect(view(one).scimBaseUrl).toBe(`/scim/v2/${created.id}`);
    const all = await getList().expect(200);
    expect(all.text).not.toContain(token);
    const patched = await patch(created.id, { name: 'Push from Entra', config: {} }).expect(200);
    expect(patched.text).not.toContain(token);
    expect(view(patched)).toMatchObject({ name: 'Push from Entra', config: {} });
    expect(view(patched).scimToken).toBeUndefined();
    // the token itself is untouched by the PATCH
    expect((await rawRow(created.id))?.scim_token_hash).toBe(
      createHash('sha256').update(token).digest('hex'),
    );
  });

  it('each scim connection gets its own token', async () => {
    const other = await post({ name: 'Second push', type: 'scim' }).expect(201);
    const otherToken = view(other).scimToken as string;
    secretsSeen.push(otherToken);
    expect(otherToken).not.toBe(token);
    expect(other.text).not.toContain(token);
  });

  it('refuses config fields', async () => {
    const before = await countRows();
    expectFieldError(
      await post({ name: 'scim', type: 'scim', config: { foo: 1 } }),
      'config.foo',
      /config\.foo is not an allowed field/,
    );
    expect(await countRows()).toBe(before);
  });
});

describe('create: validation answers 400 naming each field and writes nothing', () => {
  const okta = () => validBody('okta');
  const oktaWith = (config: Record<string, unknown>) => {
    const body = okta();
    return { ...body, config: { ...body.config, ...config } };
  };
  const entraWith = (config: Record<string, unknown>) => {
    const body = validBody('entra-id');
    return { ...body, config: { ...body.config, ...config } };
  };

  let before: number;
  beforeAll(async () => {
    // a connection exists, so "nothing written" is not just "the table is empty"
    await createConnection('okta');
  });

  async function expectRefused(body: unknown, field: string, message?: RegExp): Promise<void> {
    before = await countRows();
    expectFieldError(await post(body), field, message);
    expect(await countRows()).toBe(before);
  }

  it.each(SECRET_TYPES)('%s: every missing config field is named', async (type) => {
    before = await countRows();
    const res = await post({ name: 'x', type, config: {} });
    const required = FIXTURES[type].required;
    for (const field of required) expectFieldError(res, `config.${field}`, /config\./);
    const named = new Set((res.body as ErrorBody).fields?.map((f) => f.field));
    expect([...named].sort()).toEqual(required.map((f) => `config.${f}`).sort());
    expect(await countRows()).toBe(before);
  });

  it('a missing config is a config without fields', async () => {
    before = await countRows();
    const res = await post({ name: 'x', type: 'okta' });
    expectFieldError(res, 'config.orgUrl');
    expectFieldError(res, 'config.apiToken');
    expect(await countRows()).toBe(before);
  });

  it.each([
    ['an array', []],
    ['a string', 'orgUrl=https://acme.okta.com'],
    ['null', null],
  ])('a config that is %s', async (_what, config) => {
    await expectRefused({ name: 'x', type: 'okta', config }, 'config', /config must be an object/);
  });

  it.each(SECRET_TYPES)('%s: an unknown config field is refused', async (type) => {
    const body = validBody(type);
    await expectRefused(
      { ...body, config: { ...body.config, foo: 'bar' } },
      'config.foo',
      /config\.foo is not an allowed field/,
    );
  });

  it("another type's config field is refused", async () => {
    await expectRefused(oktaWith({ tenantId: 'acme' }), 'config.tenantId', /not an allowed/);
  });

  it('an unknown top-level field is refused', async () => {
    await expectRefused({ ...okta(), foo: 1 }, 'foo', /foo is not an allowed field/);
    await expectRefused({ ...okta(), companyId: randomUUID() }, 'companyId', /not an allowed/);
    await expectRefused({ ...okta(), status: 'ACTIVE' }, 'status', /not an allowed/);
  });

  it('an unknown type is refused', async () => {
    await expectRefused(
      { name: 'x', type: 'workday', config: {} },
      'type',
      /type must be one of okta, entra-id, google-workspace, ldap, aws-identity-center, scim/,
    );
    await expectRefused({ name: 'x', config: {} }, 'type', /type must be one of/);
  });

  it('a missing or blank name is refused', async () => {
    await expectRefused({ ...okta(), name: undefined }, 'name', /name/);
    await expectRefused({ ...okta(), name: '   ' }, 'name', /name must not be blank/);
    await expectRefused({ ...okta(), name: 42 }, 'name', /name/);
    await expectRefused({ ...okta(), name: 'x'.repeat(201) }, 'name', /name/);
  });

  it.each([
    ['4', 4, /syncIntervalMinutes must be null or at least 5/],
    ['1.5', 1.5, /syncIntervalMinutes must be an integer/],
    ['"10" (strings are not coerced)', '10', /syncIntervalMinutes must be an integer/],
    ['-5', -5, /syncIntervalMinutes/],
    ['true', true, /syncIntervalMinutes must be an integer/],
  ])('syncIntervalMinutes %s is refused', async (_what, value, message) => {
    await expectRefused({ ...okta(), syncIntervalMinutes: value }, 'syncIntervalMinutes', message);
  });

  it.each([0, 11, 2.5, '3', -1])('maxAttempts %p is refused', async (value) => {
    await expectRefused({ ...okta(), maxAttempts: value }, 'maxAttempts', /maxAttempts/);
  });

  it.each([101, -1, 20.5, '20'])('deprovisionThresholdPercent %p is refused', async (value) => {
    await expectRefused(
      { ...okta(), deprovisionThresholdPercent: value },
      'deprovisionThresholdPercent',
      /deprovisionThresholdPercent/,
    );
  });

  it('all problems are reported at once', async () => {
    before = await countRows();
    const res = await post({
      ...okta(),
      syncIntervalMinutes: 4,
      maxAttempts: 0,
      deprovisionThresholdPercent: 101,
    });
    expectFieldError(res, 'syncIntervalMinutes');
    expectFieldError(res, 'maxAttempts');
    expectFieldError(res, 'deprovisionThresholdPercent');
    expect(await countRows()).toBe(before);
  });

  it('the mask is not accepted as a new secret', async () => {
    await expectRefused(oktaWith({ apiToken: MASK }), 'config.apiToken', /not \*{8}/);
  });

  it('a malformed orgUrl is refused', async () => {
    await expectRefused(oktaWith({ orgUrl: 'acme.okta.com' }), 'config.orgUrl', /https URL/);
    await expectRefused(oktaWith({ orgUrl: 42 }), 'config.orgUrl', /https URL/);
    await expectRefused(oktaWith({ orgUrl: 'https://a:b:c' }), 'config.orgUrl', /valid URL/);
  });

  it('a plain http orgUrl is refused', async () => {
    await expectRefused(
      oktaWith({ orgUrl: 'http://acme.okta.com' }),
      'config.orgUrl',
      /config\.orgUrl must use https.*DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
  });

  it.each([
    'https://127.0.0.1',
    'https://localhost',
    'https://localhost:8443/api',
    'https://10.0.0.5',
    'https://192.168.1.20',
    'https://[::1]',
    'https://[::ffff:127.0.0.1]',
    'https://2130706433',
  ])('orgUrl %s is refused', async (url) => {
    await expectRefused(
      oktaWith({ orgUrl: url }),
      'config.orgUrl',
      /config\.orgUrl points to a loopback or private address.*DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
  });

  it.each(['https://127.0.0.1', 'https://localhost', 'https://10.0.0.5', 'https://[::1]'])(
    'entra-id graphBaseUrl %s is refused',
    async (url) => {
      await expectRefused(
        entraWith({ graphBaseUrl: url }),
        'config.graphBaseUrl',
        /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
      );
    },
  );

  it('entra-id authorityHost, google-workspace, aws and ldap URLs are checked too', async () => {
    await expectRefused(
      entraWith({ authorityHost: 'http://login.example.com' }),
      'config.authorityHost',
      /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
    const google = validBody('google-workspace');
    await expectRefused(
      { ...google, config: { ...google.config, baseUrl: 'https://127.0.0.1:8443' } },
      'config.baseUrl',
      /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
    await expectRefused(
      { ...google, config: { ...google.config, tokenUrl: 'https://localhost/token' } },
      'config.tokenUrl',
      /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
    const aws = validBody('aws-identity-center');
    await expectRefused(
      { ...aws, config: { ...aws.config, endpoint: 'https://10.1.2.3' } },
      'config.endpoint',
      /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
    const ldap = validBody('ldap');
    await expectRefused(
      { ...ldap, config: { ...ldap.config, url: 'ldap://127.0.0.1:389' } },
      'config.url',
      /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
    );
  });

  it('malformed JSON is a 400 in the error shape', async () => {
    before = await countRows();
    const res = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .set('Content-Type', 'application/json')
      .send('{"name": "x", "type": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(await countRows()).toBe(before);
  });

  it('a valid https orgUrl with a path and port is accepted', async () => {
    const created = await createConnection('okta', {
      config: { orgUrl: 'https://acme.okta.com:443/', apiToken: newMarker() },
    });
    expect(created.config.orgUrl).toBe('https://acme.okta.com:443/');
  });
});

describe('defaults', () => {
  it('a new connection is PENDING, with maxAttempts = SYNC_MAX_ATTEMPTS, threshold 20, no interval', async () => {
    const created = await createConnection('okta');
    expect(created).toMatchObject({
      status: 'PENDING',
      maxAttempts: 4,
      deprovisionThresholdPercent: 20,
      syncIntervalMinutes: null,
      lastSyncAt: null,
      lastSyncCount: null,
      lastError: null,
    });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(Date.parse(created.updatedAt)).not.toBeNaN();
    expect(await rawRow(created.id)).toMatchObject({
      company_id: acme.id,
      status: 'PENDING',
      max_attempts: 4,
      deprovision_threshold_percent: 20,
      sync_interval_minutes: null,
    });
  });

  it('explicit values are kept, at the edges of their ranges', async () => {
    const low = await createConnection('okta', {
      syncIntervalMinutes: 5,
      maxAttempts: 1,
      deprovisionThresholdPercent: 0,
    });
    expect(low).toMatchObject({
      syncIntervalMinutes: 5,
      maxAttempts: 1,
      deprovisionThresholdPercent: 0,
    });
    const high = await createConnection('okta', {
      syncIntervalMinutes: null,
      maxAttempts: 10,
      deprovisionThresholdPercent: 100,
    });
    expect(high).toMatchObject({
      syncIntervalMinutes: null,
      maxAttempts: 10,
      deprovisionThresholdPercent: 100,
    });
    expect(await rawRow(low.id)).toMatchObject({
      sync_interval_minutes: 5,
      max_attempts: 1,
      deprovision_threshold_percent: 0,
    });
  });

  it('the name is trimmed', async () => {
    const created = await createConnection('okta', { name: '  Okta prod  ' });
    expect(created.name).toBe('Okta prod');
  });
});

describe('with SYNC_MAX_ATTEMPTS=7 and DIRECTORY_ALLOW_PRIVATE_NETWORKS=true', () => {
  let local: TestApp;
  let company: TestCompany;
  beforeAll(async () => {
    local = await startTestApp({
      SYNC_MAX_ATTEMPTS: '7',
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    company = await createCompany(local, 'Local');
  });
  afterAll(() => local.close());

  it('maxAttempts defaults to SYNC_MAX_ATTEMPTS', async () => {
    const res = await post(validBody('okta'), company.adminKey, local).expect(201);
    expect(view(res).maxAttempts).toBe(7);
  });

  it('accepts plain http and loopback provider URLs', async () => {
    const okta = await post(
      {
        name: 'test server',
        type: 'okta',
        config: { orgUrl: 'http://127.0.0.1:8080', apiToken: 't' },
      },
      company.adminKey,
      local,
    ).expect(201);
    expect(view(okta).config.orgUrl).toBe('http://127.0.0.1:8080');
    const entra = validBody('entra-id');
    const res = await post(
      {
        ...entra,
        config: {
          ...entra.config,
          graphBaseUrl: 'http://localhost:8081/v1.0',
          authorityHost: 'http://[::1]:8082',
        },
      },
      company.adminKey,
      local,
    ).expect(201);
    expect(view(res).config).toMatchObject({ graphBaseUrl: 'http://localhost:8081/v1.0' });
  });

  it.each([
    'https://169.254.169.254/latest',
    'http://[fd00:ec2::254]',
    'https://100.100.100.200',
    'https://metadata.google.internal',
    'https://[fe80::1]:8443',
  ])('still refuses the link-local or cloud metadata address %s', async (url) => {
    const before = await countRows(local);
    const res = await post(
      { name: 'metadata', type: 'okta', config: { orgUrl: url, apiToken: 't' } },
      company.adminKey,
      local,
    );
    expectFieldError(res, 'config.orgUrl', /link-local or cloud metadata address/);
    expect(await countRows(local)).toBe(before);
  });

  it('still refuses a malformed URL', async () => {
    const before = await countRows(local);
    const res = await post(
      { name: 'x', type: 'okta', config: { orgUrl: 'ftp://127.0.0.1', apiToken: 't' } },
      company.adminKey,
      local,
    );
    expectFieldError(res, 'config.orgUrl', /https URL/);
    expect(await countRows(local)).toBe(before);
  });
});

describe('PATCH', () => {
  it('changes name, interval, attempts and threshold', async () => {
    const created = await createConnection('okta');
    const res = await patch(created.id, {
      name: 'Okta (prod)',
      syncIntervalMinutes: 60,
      maxAttempts: 10,
      deprovisionThresholdPercent: 5,
    }).expect(200);
    expect(view(res)).toMatchObject({
      id: created.id,
      name: 'Okta (prod)',
      type: 'okta',
      syncIntervalMinutes: 60,
      maxAttempts: 10,
      deprovisionThresholdPercent: 5,
      createdAt: created.createdAt,
    });
    expect(view(await get(created.id).expect(200))).toMatchObject({
      name: 'Okta (prod)',
      syncIntervalMinutes: 60,
      maxAttempts: 10,
      deprovisionThresholdPercent: 5,
    });
    expect(await rawRow(created.id)).toMatchObject({
      name: 'Okta (prod)',
      sync_interval_minutes: 60,
      max_attempts: 10,
      deprovision_threshold_percent: 5,
    });
  });

  it('syncIntervalMinutes null turns periodic sync off', async () => {
    const created = await createConnection('okta', { syncIntervalMinutes: 15 });
    expect(created.syncIntervalMinutes).toBe(15);
    const res = await patch(created.id, { syncIntervalMinutes: null }).expect(200);
    expect(view(res).syncIntervalMinutes).toBeNull();
    expect((await rawRow(created.id))?.sync_interval_minutes).toBeNull();
  });

  it('a field not sent is left alone', async () => {
    const created = await createConnection('okta', { syncIntervalMinutes: 30, maxAttempts: 3 });
    const res = await patch(created.id, { deprovisionThresholdPercent: 50 }).expect(200);
    expect(view(res)).toMatchObject({
      name: created.name,
      syncIntervalMinutes: 30,
      maxAttempts: 3,
      deprovisionThresholdPercent: 50,
      config: created.config,
    });
  });

  it.each(SECRET_TYPES)('%s: a config patch without the secret keeps it', async (type) => {
    const { secretField } = FIXTURES[type] as Required<Fixture>;
    const created = await createConnection(type);
    const original = await storedConfig(created.id);
    const changes: Record<ConnectionType, Record<string, unknown>> = {
      okta: { orgUrl: 'https://acme-new.okta.com' },
      'entra-id': { clientId: 'another-client' },
      'google-workspace': { delegatedAdminEmail: 'it@acme.com' },
      ldap: { baseDN: 'ou=staff,dc=acme,dc=com' },
      'aws-identity-center': { region: 'us-east-1' },
      scim: {},
    };
    const res = await patch(created.id, { config: changes[type] }).expect(200);
    expect(view(res).config).toEqual({ ...original, ...changes[type], [secretField]: MASK });
    expect(await storedConfig(created.id)).toEqual({ ...original, ...changes[type] });
    expectNoSecrets(res);
  });

  it.each(SECRET_TYPES)('%s: the mask sent back keeps the secret', async (type) => {
    const { secretField } = FIXTURES[type] as Required<Fixture>;
    const created = await createConnection(type);
    const original = await storedConfig(created.id);
    // what a UI does: send back the whole config it was shown
    const res = await patch(created.id, { config: created.config }).expect(200);
    expect(view(res).config[secretField]).toBe(MASK);
    expect(await storedConfig(created.id)).toEqual(original);
    expect(original[secretField]).not.toBe(MASK);
  });

  it.each(SECRET_TYPES)('%s: a new secret replaces the old one', async (type) => {
    const { secretField } = FIXTURES[type] as Required<Fixture>;
    const created = await createConnection(type);
    const marker = newMarker();
    secretsSeen.push(marker);
    const replacement = FIXTURES[type].config(marker)[secretField] as string;
    const res = await patch(created.id, { config: { [secretField]: replacement } }).expect(200);
    expect(res.text).not.toContain(marker);
    expect(view(res).config[secretField]).toBe(MASK);
    expect((await storedConfig(created.id))[secretField]).toBe(replacement);
    const row = await rawRow(created.id);
    expect(row?.config_encrypted.includes(Buffer.from(marker))).toBe(false);
  });

  it('null removes an optional config field', async () => {
    const entra = validBody('entra-id');
    const created = await createConnection('entra-id', {
      config: { ...entra.config, graphBaseUrl: 'https://graph.example.com/v1.0' },
    });
    const res = await patch(created.id, { config: { graphBaseUrl: null } }).expect(200);
    expect(view(res).config).not.toHaveProperty('graphBaseUrl');
    expect(await storedConfig(created.id)).toEqual(entra.config);
  });

  it('a config patch re-encrypts with a fresh IV', async () => {
    const created = await createConnection('okta');
    const before = await rawRow(created.id);
    await patch(created.id, { config: { apiToken: MASK } }).expect(200);
    const after = await rawRow(created.id);
    expect(after?.config_encrypted.equals(before?.config_encrypted as Buffer)).toBe(false);
    expect(crypto.decrypt(after?.config_encrypted as Buffer, created.id)).toEqual(
      crypto.decrypt(before?.config_encrypted as Buffer, created.id),
    );
  });

  describe('an invalid PATCH answers 400 and changes nothing', () => {
    let created: ConnectionView;
    let before: RawRow;
    beforeAll(async () => {
      created = await createConnection('okta', { syncIntervalMinutes: 10 });
      before = (await rawRow(created.id)) as RawRow;
    });

    it.each<[string, unknown, string, RegExp?]>([
      ['type', { type: 'entra-id' }, 'type', /type is not an allowed field/],
      ['an unknown field', { foo: 1 }, 'foo', /not an allowed field/],
      ['syncIntervalMinutes 4', { syncIntervalMinutes: 4 }, 'syncIntervalMinutes'],
      ['syncIntervalMinutes "10"', { syncIntervalMinutes: '10' }, 'syncIntervalMinutes'],
      ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts'],
      ['maxAttempts 11', { maxAttempts: 11 }, 'maxAttempts'],
      ['maxAttempts null', { maxAttempts: null }, 'maxAttempts'],
      [
        'deprovisionThresholdPercent 101',
        { deprovisionThresholdPercent: 101 },
        'deprovisionThresholdPercent',
      ],
      [
        'deprovisionThresholdPercent null',
        { deprovisionThresholdPercent: null },
        'deprovisionThresholdPercent',
      ],
      ['a blank name', { name: ' ' }, 'name'],
      ['a null name', { name: null }, 'name'],
      ['a null config', { config: null }, 'config'],
      ['an array config', { config: ['x'] }, 'config'],
      ['an unknown config field', { config: { foo: 'bar' } }, 'config.foo', /not an allowed/],
      ['an empty secret', { config: { apiToken: '' } }, 'config.apiToken'],
      ['a removed secret', { config: { apiToken: null } }, 'config.apiToken'],
      ['a removed required field', { config: { orgUrl: null } }, 'config.orgUrl'],
      [
        'an http orgUrl',
        { config: { orgUrl: 'http://acme.okta.com' } },
        'config.orgUrl',
        /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
      ],
      [
        'a loopback orgUrl',
        { config: { orgUrl: 'https://127.0.0.1' } },
        'config.orgUrl',
        /DIRECTORY_ALLOW_PRIVATE_NETWORKS/,
      ],
      [
        'a valid field next to an invalid one',
        { name: 'should not stick', config: { orgUrl: 'https://localhost' } },
        'config.orgUrl',
      ],
      // (a rest parameter: jest would take a 4th declared parameter for `done` on short rows)
    ])('%s', async (...[_what, body, field, message]) => {
      expectFieldError(await patch(created.id, body), field, message);
      const after = await rawRow(created.id);
      expect(after?.updated_at_text).toBe(before.updated_at_text);
      expect(after?.config_encrypted.equals(before.config_encrypted)).toBe(true);
      expect(after).toEqual(before);
    });
  });
});

describe('GET and DELETE', () => {
  it('GET list answers {items} with every connection of the company, oldest first', async () => {
    const res = await getList().expect(200);
    const items = list(res);
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBe(await countRows());
    const created = items.map((c) => Date.parse(c.createdAt));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expectNoSecrets(res);
  });

  it('a malformed id is 400, a missing one 404', async () => {
    const bad = await get('not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    await patch('not-a-uuid', { name: 'x' }).expect(400);
    await del('not-a-uuid').expect(400);
    const missing = await get(randomUUID());
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'directory connection not found',
    });
    await patch(randomUUID(), { name: 'x' }).expect(404);
    await del(randomUUID()).expect(404);
  });

  it('DELETE answers 204, then the connection is gone', async () => {
    const created = await createConnection('ldap');
    const res = await del(created.id);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    await get(created.id).expect(404);
    await patch(created.id, { name: 'back' }).expect(404);
    await del(created.id).expect(404);
    expect(await rawRow(created.id)).toBeUndefined();
    expect(list(await getList().expect(200)).map((c) => c.id)).not.toContain(created.id);
  });
});

describe('company isolation', () => {
  let globex: TestCompany;
  let acmeConnection: ConnectionView;
  let globexConnection: ConnectionView;
  beforeAll(async () => {
    globex = await createCompany(t, 'Globex');
    acmeConnection = await createConnection('okta');
    globexConnection = await createConnection('entra-id', {}, globex.adminKey);
  });

  it('each company lists only its own connections', async () => {
    const globexList = list(await getList(globex.adminKey).expect(200));
    expect(globexList.map((c) => c.id)).toEqual([globexConnection.id]);
    const acmeList = list(await getList().expect(200));
    expect(acmeList.map((c) => c.id)).toContain(acmeConnection.id);
    expect(acmeList.map((c) => c.id)).not.toContain(globexConnection.id);
  });

  it("another company's connection is 404 on GET, PATCH and DELETE, and stays unchanged", async () => {
    const before = await rawRow(acmeConnection.id);
    const missing = (await get(randomUUID(), globex.adminKey)).body as ErrorBody;
    for (const res of [
      await get(acmeConnection.id, globex.adminKey),
      await patch(acmeConnection.id, { name: 'hijacked', maxAttempts: 1 }, globex.adminKey),
      await patch(acmeConnection.id, { config: { apiToken: 'stolen' } }, globex.adminKey),
      await del(acmeConnection.id, globex.adminKey),
    ]) {
      expect(res.status).toBe(404);
      // exactly like a connection that does not exist
      expect(res.body).toEqual(missing);
      expectNoSecrets(res);
    }
    expect(await rawRow(acmeConnection.id)).toEqual(before);
    await get(acmeConnection.id).expect(200);
  });

  it("the database refuses an employee linked to another company's connection", async () => {
    await expect(
      t.db.query(
        `INSERT INTO employee (company_id, email, source_connection_id) VALUES ($1, $2, $3)`,
        [acme.id, 'crossed@acme.example', globexConnection.id],
      ),
    ).rejects.toMatchObject({ code: '23503' }); // foreign_key_violation
  });

  it('deleting a connection keeps its employees, no longer linked to it', async () => {
    const doomed = await createConnection('okta');
    await t.db.query(
      `INSERT INTO employee (company_id, email, source_connection_id) VALUES ($1, $2, $3)`,
      [acme.id, 'kept@acme.example', doomed.id],
    );
    await del(doomed.id).expect(204);
    expect(
      await t.db.query(`SELECT company_id, source_connection_id FROM employee WHERE email = $1`, [
        'kept@acme.example',
      ]),
    ).toEqual([{ company_id: acme.id, source_connection_id: null }]);
  });

  it('the company comes from the key, never from the body', async () => {
    const before = await countRows();
    const res = await post({ ...validBody('okta'), companyId: globex.id });
    expectFieldError(res, 'companyId', /not an allowed field/);
    expect(await countRows()).toBe(before);
  });
});
