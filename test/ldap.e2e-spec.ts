import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../src/common/free-port.js';
import { ProviderError } from '../src/directory/providers/directory-provider.js';
import { SyncService } from '../src/sync/sync.service.js';
import {
  LDAP_ADMIN,
  LDAP_BASE,
  LDAP_PASSWORD,
  openLdapUnavailable,
  startOpenLdap,
  type LdapPerson,
  type OpenLdap,
} from './support/openldap.js';
import { NO_GROUP_CHANGES, providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

const unavailable = openLdapUnavailable();
if (unavailable) {
  // Visible in the test output: the LDAP provider was not exercised on this machine.
  console.warn(`LDAP tests skipped: ${unavailable}`);
}
const describeLdap = unavailable ? describe.skip : describe;

const person = (n: number, extra: Partial<LdapPerson> = {}): LdapPerson => ({
  uid: `user${n}`,
  mail: `User${n}@Acme.test`,
  givenName: `First${n}`,
  sn: `Last${n}`,
  title: 'Engineer',
  department: `Dept${n % 7}`,
  ...extra,
});
const people = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => person(from + i));

describeLdap('the LDAP provider against a real OpenLDAP', () => {
  let ldap: OpenLdap;
  let t: TestApp;
  let acme: TestCompany;
  let connectionId: string;

  const harness = providerHarness({
    app: () => t,
    company: () => acme,
    connection: {
      name: 'Directory',
      type: 'ldap',
      config: () => ({
        url: ldap.url,
        bindDN: LDAP_ADMIN,
        bindPassword: LDAP_PASSWORD,
        baseDN: LDAP_BASE,
      }),
    },
  });
  const { employee, createConnection } = harness;
  /**
   * A full cycle: the stored cursor is dropped first, as this spec is about full cycles
   * (sync-ldap-incremental.e2e-spec.ts runs incremental ones).
   */
  const sync = async () => {
    await t.db.query(`DELETE FROM sync_cursor WHERE connection_id = $1`, [connectionId]);
    return harness.sync(connectionId);
  };

  beforeAll(async () => {
    // Thousands of entries: the server's 500-entry size limit makes paging necessary.
    ldap = await startOpenLdap([
      ...people(0, 1195),
      person(1195, { userAccountControl: 512 + 2 }), // disabled in AD terms
      person(1196, { mail: undefined }), // no mail: outside the default filter
      ...people(1197, 1200),
    ]);
    t = await startTestApp({
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      PROVIDER_RETRY_BASE_MS: '1',
    });
    acme = await createCompany(t);
    connectionId = await createConnection({});
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ldap?.stop();
  });

  it('streams every person through paged results into the roster', async () => {
    const stats = await sync();
    expect(stats).toEqual({
      fetched: 1199,
      created: 1199,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      skipped: 0,
      ...NO_GROUP_CHANGES,
      mode: 'full',
      modeReason: expect.any(String),
    });
    expect(await employee('user42@acme.test')).toMatchObject({
      firstName: 'First42',
      lastName: 'Last42',
      title: 'Engineer',
      department: 'Dept0',
      active: true,
      externalId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    expect(await employee('user1195@acme.test')).toMatchObject({ active: false });
  });

  it('updates, deactivates and reactivates on later syncs', async () => {
    await ldap.setPeople([
      ...people(0, 1150),
      person(1150, { title: 'Manager' }),
      ...people(1151, 1190),
    ]);
    const stats = await sync();
    // 1190..1199 are gone: 8 active ones are deactivated (1195 was already, 1196 never synced)
    expect(stats).toMatchObject({
      mode: 'full',
      fetched: 1190,
      updated: 1,
      unchanged: 1189,
      deactivated: 8,
    });
    expect(await employee('user1150@acme.test')).toMatchObject({ title: 'Manager' });
    expect(await employee('user1199@acme.test')).toMatchObject({ active: false });

    await ldap.setPeople([
      ...people(0, 1150),
      person(1150, { title: 'Manager' }),
      ...people(1151, 1191),
    ]);
    const back = await sync();
    expect(back).toMatchObject({ fetched: 1191, updated: 1, deactivated: 0 });
    expect(await employee('user1190@acme.test')).toMatchObject({
      active: true,
      deactivatedAt: null,
    });
  }, 60_000);

  it('classifies a wrong password as auth, a wrong base as config, a dead server as transient', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ bindPassword: 'wrong' }, 'auth', /invalid credentials, result code 49/],
      [{ baseDN: 'ou=nowhere,dc=acme,dc=test' }, 'config', /baseDN does not exist/],
      [{ url: `ldap://127.0.0.1:${await freePort()}` }, 'transient', /could not be reached/],
    ];
    for (const [config, kind, message] of cases) {
      const id = await createConnection(config);
      const error = await t.app
        .get(SyncService)
        .syncConnection(acme.id, id, new AbortController().signal)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe(kind);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('answers POST /api/directory/:id/test with a count or an actionable error', async () => {
    const ok = await t
      .http()
      .post(`/api/directory/${connectionId}/test`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(ok.body).toEqual({ ok: true, userCount: 500, groupCount: 0 });
    const wrong = await createConnection({ bindPassword: 'wrong' });
    const refused = await t
      .http()
      .post(`/api/directory/${wrong}/test`)
      .set(bearer(acme.adminKey))
      .expect(200);
    expect(refused.body).toEqual({
      ok: false,
      error:
        'the LDAP server refused the bind DN or password (invalid credentials, result code 49)',
    });
  });

  it('honours configured attributes and filters', async () => {
    const id = await createConnection({
      userFilter: '(&(objectClass=inetOrgPerson)(title=Manager))',
      attributes: { externalId: 'uid', department: 'title' },
    });
    const stats = await t.app
      .get(SyncService)
      .syncConnection(acme.id, id, new AbortController().signal);
    expect(stats.fetched).toBe(1);
    expect(await employee('user1150@acme.test')).toMatchObject({
      externalId: 'user1150',
      department: 'Manager',
      connectionId: id,
    });
  });
});

describe('LDAP connection config', () => {
  let t: TestApp;
  let acme: TestCompany;
  beforeAll(async () => {
    t = await startTestApp();
    acme = await createCompany(t);
  });
  afterAll(() => t.close());

  it('refuses unknown attribute mappings and private hosts by default', async () => {
    const base = {
      url: 'ldaps://ldap.acme.com',
      bindDN: 'cn=sync',
      bindPassword: 'x',
      baseDN: 'dc=acme',
    };
    const refused = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({
        name: 'l',
        type: 'ldap',
        config: { ...base, attributes: { phone: 'x', email: '1bad' } },
      })
      .expect(400);
    const fields = (refused.body as { fields: { field: string }[] }).fields.map((f) => f.field);
    expect(fields.sort()).toEqual(['config.attributes.email', 'config.attributes.phone']);
    await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({ name: 'l', type: 'ldap', config: { ...base, url: 'ldap://10.1.2.3' } })
      .expect(400);
  });
});
