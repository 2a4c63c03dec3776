import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeOkta, oktaUser } from './fakes/fake-okta.js';
import { expectError } from './support/errors.js';
import { providerHarness } from './support/provider-harness.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/** GET /api/employees?q=: search by email or name, with the other filters and the cursor. */

let t: TestApp;
let okta: FakeOkta;
let acme: TestCompany;

const person = (n: number, firstName: string, lastName: string, email: string, status = 'ACTIVE') =>
  oktaUser(n, { status, profile: { firstName, lastName, email, login: email } });

const { createConnection, sync, employees } = providerHarness({
  app: () => t,
  company: () => acme,
  connection: {
    name: 'Okta',
    type: 'okta',
    config: () => ({ orgUrl: okta.url, apiToken: okta.apiToken }),
  },
});

const emails = async (query: string, as?: TestCompany) =>
  (await employees(query, as)).items.map((e) => e.email);

beforeAll(async () => {
  t = await startTestApp({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true' });
  okta = new FakeOkta({
    users: [
      person(1, 'Ada', 'Lovelace', 'ada@acme.example'),
      person(2, 'Grace', 'Hopper', 'grace.hopper@acme.example'),
      person(3, 'Alan', 'Turing', 'alan@acme.example', 'SUSPENDED'),
      person(4, 'Percy', 'Cent', 'per%cent_50@acme.example'),
      person(5, 'Adam', 'Smith', 'adam@acme.example'),
    ],
  });
  await okta.start();
  acme = await createCompany(t, 'Acme');
  await sync(await createConnection());
});
afterAll(async () => {
  await t.close();
  await okta.stop();
});

describe('GET /api/employees?q=', () => {
  it('matches part of the email, the first or the last name, in any case', async () => {
    expect(await emails('?q=HOPPER')).toEqual(['grace.hopper@acme.example']);
    expect(await emails('?q=lovel')).toEqual(['ada@acme.example']);
    expect(await emails('?q=ada')).toEqual(['ada@acme.example', 'adam@acme.example']);
    expect(await emails('?q=smi')).toEqual(['adam@acme.example']);
  });

  it('needs every word to match: a full name finds the person', async () => {
    expect(await emails(`?q=${encodeURIComponent(' ada  LOVELACE ')}`)).toEqual([
      'ada@acme.example',
    ]);
    expect(await emails(`?q=${encodeURIComponent('ada hopper')}`)).toEqual([]);
  });

  it('takes % and _ literally', async () => {
    expect(await emails(`?q=${encodeURIComponent('%')}`)).toEqual(['per%cent_50@acme.example']);
    expect(await emails('?q=_50')).toEqual(['per%cent_50@acme.example']);
    expect(await emails(`?q=${encodeURIComponent('\\')}`)).toEqual([]);
  });

  it('combines with active and pages with the cursor', async () => {
    // Alan was synced while SUSPENDED: inserted inactive.
    expect(await emails('?q=a&active=false')).toEqual(['alan@acme.example']);
    const first = await employees('?q=a&active=true&limit=2');
    expect(first.items.map((e) => e.email)).toEqual(['ada@acme.example', 'adam@acme.example']);
    const second = await employees(`?q=a&active=true&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((e) => e.email)).toEqual([
      'grace.hopper@acme.example',
      'per%cent_50@acme.example',
    ]);
    expect(second.nextCursor).toBeNull();
  });

  it('an empty q lists everyone; another company finds nothing', async () => {
    expect(await emails('?q=')).toHaveLength(5);
    const other = await createCompany(t, 'Globex');
    expect(await emails('?q=ada', other)).toEqual([]);
  });

  it('refuses a q longer than 200 characters', async () => {
    const res = await t
      .http()
      .get(`/api/employees?q=${'a'.repeat(201)}`)
      .set(bearer(acme.adminKey));
    expect(expectError(res, 400, { fields: true }).message).toContain('q');
  });
});
