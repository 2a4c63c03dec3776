import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { PROVIDER_CONFIGS } from '../src/directory/dto/provider-configs.js';
import { CONNECTION_TYPES } from '../src/directory/connection-types.js';
import { DataSource } from 'typeorm';
import { EventLog } from '../src/events/event-log.js';
import { EVENT_TYPES, type NewEvent } from '../src/events/event-types.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { CONFIG_FIELDS } from '../src/ui/client/connection-forms.js';
import { EVENT_TYPES as CLIENT_EVENT_TYPES } from '../src/ui/client/event-types.js';
import { FakeOkta, oktaGroup, oktaUser } from './fakes/fake-okta.js';
import { WebhookReceiver } from './fakes/webhook-receiver.js';
import {
  browserAvailable,
  launchBrowser,
  watchedContext,
  type WatchedContext,
} from './support/browser.js';
import {
  bearer,
  createCompany,
  createKey,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * The dashboard at /ui, in a real browser (Debian's chromium driven by playwright-core)
 * against the real service and database and a fake Okta. Every step waits for a state of
 * the page, never for time. UI_SCREENSHOTS=1 also saves each page under docs/screenshots/.
 */

const SCREENSHOTS = process.env.UI_SCREENSHOTS ? 'docs/screenshots' : undefined;

let t: TestApp;
let okta: FakeOkta;
let receiver: WebhookReceiver;
let receiverOrigin: string;
let acme: TestCompany;
let viewerKey: string;
let origin: string;

beforeAll(async () => {
  okta = new FakeOkta({
    token: 'any',
    users: [
      oktaUser(1, { profile: { firstName: 'Ada', lastName: 'Lovelace', department: 'Research' } }),
      oktaUser(2, { profile: { firstName: 'Grace', lastName: 'Hopper', department: 'Compilers' } }),
      oktaUser(3, { profile: { firstName: 'Alan', lastName: 'Turing' }, status: 'SUSPENDED' }),
    ],
    groups: [
      oktaGroup(1, [oktaUser(1).id, oktaUser(2).id], {
        name: 'Engineering',
        description: 'Builds things',
      }),
    ],
  });
  await okta.start();
  receiver = new WebhookReceiver();
  receiverOrigin = await receiver.start();
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    PROVIDER_MAX_RETRIES: '0',
    SYNC_TRIGGER_RATE_LIMIT: '0',
    // A failed delivery's next attempt is an hour away: the page shows it waiting, and the
    // queue (drained by the test) leaves it there.
    WEBHOOK_RETRY_SCHEDULE: '3600',
  });
  await t.app.listen(0, '127.0.0.1');
  origin = `http://127.0.0.1:${((t.app.getHttpServer() as Server).address() as AddressInfo).port}`;
  acme = await createCompany(t, 'Acme');
  viewerKey = (await createKey(t, acme.adminKey, 'viewer')).key;
});
afterAll(async () => {
  await okta.stop();
  await receiver.stop();
  await t.close();
});

describe('/ui is served by the service', () => {
  it('without a key, with a self-only Content-Security-Policy', async () => {
    const page = await t.http().get('/ui').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script type="module" src="/ui/app.js">');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    const script = await t.http().get('/ui/app.js').expect(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toBe(csp);
    await t
      .http()
      .get('/ui/app.css')
      .expect(200)
      .expect('content-type', /text\/css/);
    // Nothing in the bundle loads from elsewhere (no CDN, no web fonts).
    expect(script.text).not.toMatch(/https:\/\/(cdn|unpkg|fonts)\./);
  });

  it('answers 404 for a file it does not have, and revalidates with the ETag', async () => {
    const missing = await t.http().get('/ui/secrets.json').expect(404);
    expect((missing.body as { message: string }).message).toContain('no such dashboard file');
    await t.http().get('/ui/..%2Fpackage.json').expect(404);
    const first = await t.http().get('/ui/app.css').expect(200);
    await t.http().get('/ui/app.css').set('If-None-Match', first.headers.etag).expect(304);
  });
});

describe('the connection forms', () => {
  it('have exactly the fields, required fields and secrets of each type’s config', async () => {
    const doc = (await t.http().get('/docs/json').expect(200)).body as {
      components: { schemas: Record<string, { properties?: object; required?: string[] }> };
    };
    const schemaNames: Record<string, string> = {
      okta: 'OktaConfig',
      'entra-id': 'EntraIdConfig',
      'google-workspace': 'GoogleWorkspaceConfig',
      ldap: 'LdapConfig',
      'aws-identity-center': 'AwsIdentityCenterConfig',
      scim: 'ScimConfig',
    };
    for (const type of CONNECTION_TYPES) {
      const schema = doc.components.schemas[schemaNames[type]];
      const fields = CONFIG_FIELDS[type];
      const topLevel = [...new Set(fields.map((f) => f.key.split('.')[0]))].sort();
      expect({ type, fields: topLevel }).toEqual({
        type,
        fields: Object.keys(schema.properties ?? {}).sort(),
      });
      expect({ type, required: fields.filter((f) => f.required).map((f) => f.key) }).toEqual({
        type,
        required: schema.required ?? [],
      });
      expect({ type, secrets: fields.filter((f) => f.secret).map((f) => f.key) }).toEqual({
        type,
        secrets: PROVIDER_CONFIGS[type].secrets,
      });
    }
    const attributes = CONFIG_FIELDS.ldap.filter((f) => f.key.startsWith('attributes.'));
    expect(attributes.map((f) => f.key.slice('attributes.'.length)).sort()).toEqual(
      Object.keys(doc.components.schemas.LdapAttributes.properties ?? {}).sort(),
    );
  });
});

describe('the events page', () => {
  it('offers exactly the API’s event types', () => {
    expect([...CLIENT_EVENT_TYPES]).toEqual([...EVENT_TYPES]);
  });
});

const describeInBrowser = browserAvailable() ? describe : describe.skip;

describeInBrowser('the dashboard in a browser', () => {
  let browser: Browser;
  let watched: WatchedContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    // Every page stayed on this origin, without a script error or a CSP violation.
    const problems = watched.flatMap((w) => w.problems);
    await Promise.all(watched.map((w) => w.context.close()));
    watched = [];
    expect(problems).toEqual([]);
  });

  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    const w = await watchedContext(browser, origin, viewport);
    watched.push(w);
    const page = await w.context.newPage();
    await page.goto(`${origin}/ui`);
    return page;
  }

  async function signIn(key: string, viewport?: { width: number; height: number }) {
    const page = await open(viewport);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  async function screenshot(page: Page, name: string) {
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  }

  /** Waits until the table has exactly `count` rows (no more, and the last one there). */
  async function rows(page: Page, count: number) {
    await page.locator('tbody tr').nth(count).waitFor({ state: 'detached' });
    await page
      .locator('tbody tr')
      .nth(count - 1)
      .waitFor();
  }

  const jobStatus = (page: Page, status: string) =>
    page.locator('.job-status .badge', { hasText: status }).waitFor();

  /** Runs the queue (the test app has no worker loop) while the page watches. */
  function runQueue(): Promise<void> {
    return t.app.get(QueueWorker).drain();
  }

  /** Holds the fake Okta's pages until released, so RUNNING lasts until the page shows it. */
  function holdOkta(): () => void {
    let release!: () => void;
    okta.hold = new Promise((resolve) => (release = resolve));
    return () => {
      okta.hold = undefined;
      release();
    };
  }

  it('a wrong key gets a clear message and no way in', async () => {
    const page = await open();
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('dsk_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('This API key is not valid');
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  });

  it('an admin creates an Okta connection, syncs it and watches the job live, then sees the people', async () => {
    const page = await signIn(acme.adminKey);
    expect(await page.locator('.company').textContent()).toBe('Acme');
    await page.getByText('No connections yet').waitFor();

    await page.getByRole('link', { name: 'New connection' }).click();
    await page.getByLabel('Name').fill('Okta production');
    await page.getByLabel('Sync every (minutes)').fill('60');
    await page.getByLabel('Okta org URL').fill(okta.url);
    await page.getByLabel('API token').fill('00a-okta-token');
    await screenshot(page, 'connection-new');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('heading', { name: 'Okta production' }).waitFor();
    // The token is stored, and never shown.
    expect(await page.locator('.details').textContent()).toContain('set (hidden)');
    expect(await page.content()).not.toContain('00a-okta-token');

    const release = holdOkta();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await jobStatus(page, 'PENDING');
    const url = page.url();
    const ran = runQueue();
    await jobStatus(page, 'RUNNING');
    release();
    await ran;
    await jobStatus(page, 'SUCCEEDED');
    expect(page.url()).toBe(url); // the same page, updated in place
    expect(await page.locator('.stats').textContent()).toContain('fetched3');
    expect(await page.locator('.details').textContent()).toMatch(/Cycle\s*full \(/);
    await screenshot(page, 'job');

    await page.getByRole('link', { name: 'Okta production' }).click();
    await page.locator('.details .badge', { hasText: 'ACTIVE' }).waitFor();
    await page.getByText('This job: 1 succeeded').waitFor();
    await screenshot(page, 'connection');

    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('cell', { name: 'Okta' }).waitFor();
    await screenshot(page, 'connections');

    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('cell', { name: 'user1@acme.example' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(3);
    await screenshot(page, 'people');

    await page.getByLabel('Search').fill('grace hop');
    await page.getByRole('button', { name: 'Search' }).click();
    await rows(page, 1);
    expect(await page.locator('tbody').textContent()).toContain('Grace Hopper');

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Status').selectOption('false');
    await page.getByRole('button', { name: 'Search' }).click();
    await rows(page, 1);
    expect(await page.locator('tbody').textContent()).toContain('Alan Turing');

    await page.getByLabel('Search').fill('nobody-by-that-name');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Nobody matches these filters.').waitFor();
  });

  it('a failed job is retried from its page', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Okta production' }).click();
    okta.faults = [{ status: 401 }];
    await page.getByRole('button', { name: 'Sync now' }).click();
    await jobStatus(page, 'PENDING');
    await runQueue();
    await jobStatus(page, 'FAILED');
    expect(await page.locator('.details').textContent()).toMatch(/Okta.*(token|credentials)/i);
    const failedUrl = page.url();

    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL((url) => url.toString() !== failedUrl);
    await jobStatus(page, 'PENDING');
    expect(await page.locator('.details').textContent()).toContain('retry');
    await runQueue();
    await jobStatus(page, 'SUCCEEDED');
  });

  it('a waiting job is cancelled from its page', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Okta production' }).click();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await jobStatus(page, 'PENDING');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await jobStatus(page, 'CANCELLED');
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    // A cancelled job may run again.
    await page.getByRole('button', { name: 'Retry' }).waitFor();
  });

  it('edits a connection without ever showing its secret, and the kept secret still works', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Okta production' }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    const token = page.getByLabel('API token');
    await token.waitFor();
    expect(await token.inputValue()).toBe('');
    await page.getByLabel('Name').fill('Okta (prod)');
    await page.getByLabel('Sync every (minutes)').fill('30');
    await page.getByLabel('Full sync every (hours, 1–8760)').fill('48');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Okta (prod)' }).waitFor();
    expect(await page.locator('.details').textContent()).toContain('every 30 minutes');
    expect(await page.locator('.details').textContent()).toContain('at least every 48 hours');

    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connection works').waitFor();
    // A directory that refuses the token: the answer replaces the last one, in words.
    okta.faults = [{ status: 401 }];
    await page.getByRole('button', { name: 'Test connection' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Connection failed' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/token|credentials/i);
    expect(await page.getByText('Connection works').count()).toBe(0);

    // A bad value comes back from the API next to its field.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Sync every (minutes)').fill('2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#syncIntervalMinutes-error').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(
      'Please check the fields marked below.',
    );
    expect(await page.getByLabel('Sync every (minutes)').getAttribute('aria-invalid')).toBe('true');
  });

  /** Appends events through the event log, as a change of the service would. */
  async function appendEvents(events: NewEvent[]): Promise<void> {
    await t.app.get(EventLog).append(t.app.get(DataSource), events);
  }

  /**
   * Waits until the API's events satisfy `done`: an event becomes visible once no transaction
   * on the server could still commit one before it (and the database server is shared with
   * other tests). The webhook fan-out reads the same visible events.
   */
  async function eventsVisible(
    done: (events: { data: Record<string, unknown> }[]) => boolean,
  ): Promise<void> {
    const seen = async () => {
      const res = await t.http().get('/api/events?limit=1000').set(bearer(acme.adminKey));
      return done((res.body as { items: { data: Record<string, unknown> }[] }).items);
    };
    while (!(await seen())) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Waits until the API shows the event about this id (a person's or a job's). */
  const eventVisible = (id: string) =>
    eventsVisible((events) => events.some((e) => e.data.id === id || e.data.jobId === id));

  async function acmePeople(): Promise<{ id: string; email: string }[]> {
    const res = await t.http().get('/api/employees').set(bearer(acme.adminKey)).expect(200);
    return (res.body as { items: { id: string; email: string }[] }).items;
  }

  it('the events page shows the stream, filters it by type, and loads newer events', async () => {
    const [connection] = (
      (await t.http().get('/api/directory').set(bearer(acme.adminKey)).expect(200)).body as {
        items: { id: string }[];
      }
    ).items;
    const grace = (await acmePeople()).find((p) => p.email === 'user2@acme.example')!;
    const employee = (
      await t.http().get(`/api/employees?q=${grace.email}`).set(bearer(acme.adminKey))
    ).body as { items: Record<string, unknown>[] };
    const failedJob = '00000000-0000-4000-8000-000000000001';
    await appendEvents([
      {
        companyId: acme.id,
        connectionId: connection.id,
        type: 'employee.updated',
        data: { ...employee.items[0], changedFields: ['title', 'department'] } as never,
      },
      {
        companyId: acme.id,
        connectionId: connection.id,
        type: 'connection.sync_failed',
        data: { jobId: failedJob, error: 'Okta refused the API token (401)' },
      },
    ]);
    await eventVisible(failedJob);

    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Events' }).click();
    const updated = page.locator('tbody tr', { hasText: 'employee.updated' });
    await updated.first().waitFor();
    expect(await updated.first().textContent()).toContain('Grace Hopper · user2@acme.example');
    expect(await updated.first().textContent()).toContain('changed: title, department');
    await page.locator('tbody tr', { hasText: 'Okta refused the API token' }).waitFor();
    // What the first sync wrote: each person it created, and its outcome.
    await page
      .locator('tbody tr', { hasText: 'Ada Lovelace · user1@acme.example' })
      .first()
      .waitFor();
    expect(await page.locator('tbody tr', { hasText: 'employee.created' }).count()).toBe(3);
    await page.locator('tbody tr', { hasText: 'connection.sync_succeeded' }).first().waitFor();
    await screenshot(page, 'events');

    await page.getByLabel('Type').selectOption('connection.sync_failed');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/types=connection.sync_failed/);
    await page.locator('tbody tr', { hasText: 'Okta refused the API token' }).waitFor();
    const types = await page.locator('tbody th').allTextContents();
    expect(new Set(types)).toEqual(new Set(['connection.sync_failed']));

    await page.getByRole('button', { name: 'Load newer' }).click();
    await page.getByText('Nothing newer yet.').waitFor();
    const later = '00000000-0000-4000-8000-000000000002';
    await appendEvents([
      {
        companyId: acme.id,
        connectionId: connection.id,
        type: 'connection.sync_failed',
        data: { jobId: later, error: 'the directory did not answer' },
      },
    ]);
    await eventVisible(later);
    await page.getByRole('button', { name: 'Load newer' }).click();
    await page.getByText('1 newer event.').waitFor();
    await page.locator('tbody tr', { hasText: 'the directory did not answer' }).waitFor();

    // The subject links to its page: the person's, the job's.
    await page
      .locator('tbody tr', { hasText: 'the directory did not answer' })
      .getByRole('link', { name: 'sync job' })
      .waitFor();

    // A connection's page leads to its events.
    await page.goto(`${origin}/ui#/connections/${connection.id}`);
    await page.locator('.page-header').getByRole('link', { name: 'Events' }).click();
    await page.waitForURL(/connectionId=/);
    // The filter shows the connection once the connections came.
    await page
      .locator('#connectionId option', { hasText: 'Okta (prod)' })
      .waitFor({ state: 'attached' });
    expect(await page.getByLabel('Connection').inputValue()).toBe(connection.id);
    await page.locator('tbody tr', { hasText: 'employee.updated' }).first().waitFor();
  });

  it('a person’s page shows them, their groups and their recent events', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
    // The connection's name comes with the connections, which may answer after the person.
    await page.locator('.details a', { hasText: 'Okta (prod)' }).waitFor();
    const details = await page.locator('.details').textContent();
    expect(details).toContain('user2@acme.example');
    expect(details).toContain('Compilers');
    expect(details).toContain('Okta (prod)');
    const events = page.locator('section', {
      has: page.getByRole('heading', { name: 'Recent events' }),
    });
    await events.locator('tbody tr', { hasText: 'changed: title, department' }).waitFor();
    await screenshot(page, 'person');
  });

  it('the groups page lists the groups; a group’s page its members; People filters by group', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Groups' }).click();
    const row = page.locator('tbody tr', { hasText: 'Engineering' });
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['2', 'Builds things', 'Okta (prod)']),
    );
    await screenshot(page, 'groups');

    await row.getByRole('link', { name: 'Engineering' }).click();
    await page.getByRole('heading', { name: 'Engineering' }).waitFor();
    await rows(page, 2);
    expect(await page.locator('tbody th').allTextContents()).toEqual([
      'Ada Lovelace',
      'Grace Hopper',
    ]);
    await screenshot(page, 'group');

    await page.getByRole('link', { name: 'Find in People' }).click();
    await page.waitForURL(/groupId=/);
    await rows(page, 2);
    await page
      .locator('#groupId option', { hasText: 'Engineering' })
      .waitFor({ state: 'attached' });
    expect(await page.getByLabel('Group').inputValue()).not.toBe('');
    await page.getByLabel('Group').selectOption('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => !url.hash.includes('groupId'));
    await rows(page, 3);

    // A person's groups link to the group's page.
    await page.getByRole('link', { name: 'Ada Lovelace' }).click();
    const groups = page.locator('section', { has: page.getByRole('heading', { name: 'Groups' }) });
    await groups.getByRole('link', { name: 'Engineering' }).click();
    await page.getByRole('heading', { name: 'Engineering' }).waitFor();
    await page.getByRole('link', { name: 'Alan Turing' }).waitFor({ state: 'detached' });
  });

  it('the queue page shows what waits and runs, the oldest due job, and the last hour', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Okta (prod)' }).click();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await jobStatus(page, 'PENDING');
    const jobUrl = page.url();

    await page.getByRole('link', { name: 'Queue' }).click();
    const sync = page.locator('tbody tr', { hasText: 'sync' });
    await sync.waitFor();
    expect(await sync.locator('td').allTextContents()).toEqual(['1', '1', '0']);
    await page.getByText(/Oldest due job: a sync job, due for \d+ s/).waitFor();
    // The jobs of the tests before: one failed, the others succeeded or were cancelled.
    const caption = await page.locator('figcaption').textContent();
    expect(caption).toMatch(/In the last hour: [1-9]\d* succeeded, 1 failed, [1-9]\d* cancelled/);
    expect(await page.locator('.chart rect.bar-succeeded').count()).toBeGreaterThan(0);
    await screenshot(page, 'queue');

    await page.getByRole('link', { name: 'a sync job' }).click();
    expect(page.url()).toBe(jobUrl);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await jobStatus(page, 'CANCELLED');
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByText('Nothing is waiting or running.').waitFor();
  });

  it('webhooks: create (secret shown once), test event, resend, disable, rotate, delete', async () => {
    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook endpoints').waitFor();
    const url = `${receiverOrigin}/hooks`;
    await page.getByLabel('URL').fill(url);
    await page.getByLabel('Only the types chosen below').check();
    await page.getByLabel('employee.deactivated', { exact: true }).check();
    await page.getByLabel('webhook.test', { exact: true }).check();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByText('Copy it now').waitFor();
    expect(await page.locator('input.secret-once').inputValue()).toMatch(/^whsec_/);
    const row = page.locator('tbody tr', { hasText: url });
    expect(await row.locator('td').allTextContents()).toEqual([
      'employee.deactivated, webhook.test',
      'ENABLED',
      '—',
    ]);
    await screenshot(page, 'webhooks');

    await row.getByRole('link', { name: url }).click();
    await page.getByText('Nothing sent yet').waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const delivery = page.locator('tbody tr', { hasText: 'webhook.test' });
    await delivery.locator('.badge', { hasText: 'PENDING' }).waitFor();
    await runQueue();
    await page.reload();
    await delivery.locator('.badge', { hasText: 'DELIVERED' }).waitFor();
    expect(await delivery.locator('td[data-label="Response"]').textContent()).toBe('200');
    expect(await delivery.locator('td[data-label="Duration"]').textContent()).toMatch(/^\d+ ms$/);
    expect(receiver.received.map((r) => JSON.parse(r.body) as { type: string })).toEqual([
      expect.objectContaining({ type: 'webhook.test' }),
    ]);

    // Resent (once) to a receiver that now fails: the answer and the error show.
    receiver.answer = () => ({ status: 500 });
    await delivery.getByRole('button', { name: 'Resend' }).click();
    await delivery.locator('.badge', { hasText: 'PENDING' }).waitFor();
    await runQueue();
    await page.reload();
    await delivery.locator('.badge', { hasText: 'FAILED' }).waitFor();
    expect(await delivery.locator('td[data-label="Response"]').textContent()).toBe('500');
    expect(await delivery.locator('td[data-label="Error"]').textContent()).not.toBe('—');

    // A test event is sent once: a failing one is failed at once, and can be resent.
    await page.getByRole('button', { name: 'Send test event' }).click();
    await rows(page, 2);
    await runQueue();
    await page.reload();
    await page.locator('tbody .badge', { hasText: 'FAILED' }).nth(1).waitFor();
    await screenshot(page, 'webhook');

    // A viewer key sees the endpoint and its deliveries, and no button.
    const viewer = await signIn(viewerKey);
    await viewer.goto(page.url());
    await viewer.locator('tbody tr').nth(1).waitFor();
    expect(
      await viewer.getByRole('button', { name: /Send|Resend|Disable|Rotate|Delete/ }).count(),
    ).toBe(0);
    await viewer.getByRole('link', { name: 'Webhooks' }).click();
    await viewer.locator('tbody tr', { hasText: url }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Create endpoint' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.locator('.details .badge', { hasText: 'DISABLED' }).waitFor();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.locator('.details .badge', { hasText: 'ENABLED' }).waitFor();

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('Copy it now').waitFor();
    expect(await page.locator('input.secret-once').inputValue()).toMatch(/^whsec_/);

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: /Delete for good/ }).click();
    await page.getByText('No webhook endpoints').waitFor();
    receiver.answer = () => ({ status: 200 });
  });

  it('webhooks: types chosen from the known ones, an endpoint edited, deliveries paged and filtered, the next retry', async () => {
    const grace = (await acmePeople()).find((p) => p.email === 'user2@acme.example')!;
    /** `count` employee.updated events marked `batch`, visible to the fan-out when it returns. */
    async function updates(batch: string, count: number): Promise<void> {
      await appendEvents(
        Array.from({ length: count }, () => ({
          companyId: acme.id,
          connectionId: null,
          type: 'employee.updated' as const,
          data: { ...grace, title: batch, changedFields: ['title'] } as never,
        })),
      );
      await eventsVisible(
        (events) => events.filter((e) => e.data.title === batch).length === count,
      );
    }

    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    const url = `${receiverOrigin}/people`;
    await page.getByLabel('URL').fill(url);
    // The types are the known ones, offered by family once "only these" is chosen.
    expect(await page.getByLabel('employee.updated', { exact: true }).count()).toBe(0);
    await page.getByLabel('Only the types chosen below').check();
    expect(await page.locator('.type-families input[type=checkbox]').count()).toBe(
      CLIENT_EVENT_TYPES.length,
    );
    await page.getByLabel('employee.updated', { exact: true }).check();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const row = page.locator('tbody tr', { hasText: url });
    await row.waitFor();
    expect(await row.locator('td[data-label="Event types"]').textContent()).toBe(
      'employee.updated',
    );

    // Edit: the form starts from the endpoint as it is.
    await row.getByRole('link', { name: url }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: `Edit ${url}` }).waitFor();
    expect(await page.getByLabel('URL').inputValue()).toBe(url);
    expect(await page.getByLabel('employee.updated', { exact: true }).isChecked()).toBe(true);
    await page.getByLabel('Description (optional)').fill('The HR system');
    await page.getByLabel('employee.deactivated', { exact: true }).check();
    await screenshot(page, 'webhook-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: url, exact: true }).waitFor();
    const details = page.locator('.details');
    await details.getByText('employee.updated, employee.deactivated').waitFor();
    expect(await details.textContent()).toContain('The HR system');
    await page.getByText('Nothing sent yet').waitFor();

    // A bad URL comes back from the API at its field; Cancel leaves the endpoint as it was.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('URL').fill('ftp://hooks.example.com/people');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#webhook-url-error').waitFor();
    expect(await page.locator('#webhook-url-error').textContent()).toContain('https');
    expect(await page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: url, exact: true }).waitFor();

    // 21 deliveries: a page of the 20 newest, and one older.
    await updates('Paged', 21);
    await runQueue();
    await page.reload();
    await rows(page, 20);
    await page.getByRole('button', { name: 'Older deliveries' }).click();
    await rows(page, 1);
    expect(await page.getByRole('button', { name: 'Older deliveries' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Newer deliveries' }).click();
    await rows(page, 20);

    // A failed attempt waits for its next one (WEBHOOK_RETRY_SCHEDULE=3600), and says when.
    receiver.answer = () => ({ status: 503 });
    await updates('Retried', 1);
    await runQueue();
    await page.reload();
    const waiting = page.locator('tbody tr').first();
    await waiting.locator('.badge', { hasText: 'PENDING' }).waitFor();
    expect(await waiting.locator('td[data-label="Response"]').textContent()).toBe('503');
    expect(await waiting.locator('td[data-label="Attempts"]').textContent()).toBe('1');
    const next = waiting.locator('td[data-label="Next retry"] time');
    expect(await next.textContent()).toMatch(/^in (1 hour|\d+ minutes)$/);
    const nextAt = Date.parse((await next.getAttribute('datetime')) ?? '');
    expect(nextAt - Date.now()).toBeGreaterThan(50 * 60_000); // an hour, less the jitter
    expect(await waiting.locator('td[data-label="Resend"]').textContent()).toBe('—');
    receiver.answer = () => ({ status: 200 });

    // Filtered by status (kept in the URL).
    await page.getByLabel('Status').selectOption('pending');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/status=pending/);
    await rows(page, 1);
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No deliveries with this status.').waitFor();
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByRole('button', { name: 'Show' }).click();
    await rows(page, 20);
    await page.getByRole('button', { name: 'Older deliveries' }).click();
    await rows(page, 1);

    // Disabled from the form: the delivery that waited is cancelled.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel(/^Enabled/).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.details .badge', { hasText: 'DISABLED' }).waitFor();
    await page.getByLabel('Status').selectOption('cancelled');
    await page.getByRole('button', { name: 'Show' }).click();
    await rows(page, 1);
    expect(await page.locator('tbody').textContent()).toContain('503');

    // A viewer key sees the endpoint, and neither its Edit link nor its form.
    const viewer = await signIn(viewerKey);
    await viewer.goto(page.url());
    await rows(viewer, 1);
    expect(await viewer.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await viewer.goto(page.url().replace(/\?.*$/, '/edit'));
    await viewer.getByText('Your API key is read-only').waitFor();
  });

  it('says it is loading while the API answers, then the API’s refusal', async () => {
    const page = await signIn(acme.adminKey);
    let answer!: (status: number) => void;
    const answered = new Promise<number>((resolve) => (answer = resolve));
    await page.route('**/api/groups?*', async (route) => {
      const status = await answered;
      await route.fulfill({
        status,
        contentType: 'application/json',
        body: JSON.stringify({ statusCode: status, message: 'Too many requests: try again soon' }),
      });
    });
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('status').filter({ hasText: 'Loading groups…' }).waitFor();
    answer(429);
    await page
      .getByRole('alert')
      .filter({ hasText: 'Too many requests: try again soon' })
      .waitFor();
    expect(await page.getByText('Loading groups…').count()).toBe(0);
  });

  it('a viewer key sees everything read-only: no buttons', async () => {
    const page = await signIn(viewerKey);
    expect(await page.locator('.role').textContent()).toBe('read-only');
    await page.getByRole('link', { name: 'Okta (prod)' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sync now' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'New connection' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Okta (prod)' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Sync now|Test connection/ }).count()).toBe(0);

    await page.getByRole('link', { name: /Job FAILED/ }).click();
    await jobStatus(page, 'FAILED');
    expect(await page.getByRole('button', { name: /Retry|Cancel/ }).count()).toBe(0);
  });

  it('another company’s key sees none of Acme’s connections, jobs or people', async () => {
    const acmeJobs = await t.http().get('/api/sync-jobs?limit=1').set(bearer(acme.adminKey));
    const acmeJob = (acmeJobs.body as { items: { id: string }[] }).items[0].id;
    const globex = await createCompany(t, 'Globex');
    const page = await signIn(globex.adminKey);
    expect(await page.locator('.company').textContent()).toBe('Globex');
    await page.getByText('No connections yet').waitFor();
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByText('Nobody yet').waitFor();
    await page.goto(`${origin}/ui#/jobs/${acmeJob}`);
    expect(await page.getByRole('alert').textContent()).toMatch(/not found/i);
  });

  it('a key revoked while signed in sends the person back to sign in, saying why', async () => {
    const key = await createKey(t, acme.adminKey, 'viewer');
    const page = await signIn(key.key);
    // The first page has loaded with the key (its answer cannot be the 401 this test expects).
    await page.getByRole('link', { name: 'Okta (prod)' }).waitFor();
    await t.http().delete(`/api/api-keys/${key.id}`).set(bearer(acme.adminKey)).expect(204);
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByText('Your API key stopped working').waitFor();
    await page.getByLabel('API key').waitFor();
  });

  it('signs out, and works by keyboard alone', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('api-key');
    await page.keyboard.type(acme.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    await page.getByRole('link', { name: 'Okta (prod)' }).waitFor();

    // The skip link comes first, then the navigation in order.
    const focused = () => page.evaluate<string>('document.activeElement?.textContent ?? ""');
    const focusedId = () => page.evaluate<string>('document.activeElement?.id ?? ""');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('People');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/people/);
    await page.getByRole('cell', { name: 'user1@acme.example' }).waitFor();
    // Back to the skip link: it moves focus to the content, whose first control is Search.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focusedId()).toBe('main');
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('q');
    await page.keyboard.type('grace');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=grace/);
    await rows(page, 1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('fits a 390 px wide phone without sideways scrolling', async () => {
    const phone = { width: 390, height: 844 };
    const page = await signIn(acme.adminKey, phone);
    await page.getByRole('link', { name: 'Okta (prod)' }).waitFor();
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth');
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await screenshot(page, 'connections-phone');
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByText('user1@acme.example').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await screenshot(page, 'people-phone');
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { name: 'Recent events' }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('link', { name: 'Engineering' }).click();
    await rows(page, 2);
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.locator('tbody tr').first().waitFor();
    await page.getByLabel('Only the types chosen below').check();
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.locator('tbody tr').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.locator('figure.chart').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(phone.width);
    await screenshot(page, 'queue-phone');
  });

  it('pages through the people with "Show more"', async () => {
    // Stamped now, as Okta would: the run may be an incremental cycle, reading what changed.
    const lastUpdated = new Date().toISOString();
    okta.setUsers(Array.from({ length: 55 }, (_, i) => oktaUser(i + 1, { lastUpdated })));
    const list = await t.http().get('/api/directory').set(bearer(acme.adminKey)).expect(200);
    const id = (list.body as { items: { id: string }[] }).items[0].id;
    await t.http().post(`/api/directory/${id}/sync`).set(bearer(acme.adminKey)).expect(202);
    await runQueue();

    const page = await signIn(acme.adminKey);
    await page.getByRole('link', { name: 'People' }).click();
    await rows(page, 50);
    await page.getByRole('button', { name: 'Show more' }).click();
    await rows(page, 55);
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
  });
});
