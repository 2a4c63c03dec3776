import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { FakeEntra, graphUser } from './fakes/fake-entra.js';
import { activeEmails as activeEmailsOf, runSync } from './support/sync-runs.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/**
 * Incremental Entra ID cycles end to end: POST /api/directory/:id/sync runs the engine, which
 * reads the fake Graph's delta feed (test/entra-delta for the feed's own wire format).
 */

let t: TestApp;
let entra: FakeEntra;
let acme: TestCompany;
let worker: QueueWorker;

beforeAll(async () => {
  t = await startTestApp({
    DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
    PROVIDER_RETRY_BASE_MS: '1',
    SYNC_TRIGGER_RATE_LIMIT: '0',
  });
  worker = t.app.get(QueueWorker);
  entra = new FakeEntra({ users: Array.from({ length: 10 }, (_, i) => graphUser(i)) });
  await entra.start();
  acme = await createCompany(t, 'Contoso delta');
});
afterAll(async () => {
  await entra.stop();
  await t.close();
});
beforeEach(() => entra.reset());

const run = (id: string) => runSync(t, worker, acme, id);

const activeEmails = (id: string) => activeEmailsOf(t, id);

const email = (n: number) => `user${n}@contoso.example`;
const graphPaths = () => entra.graphRequests.map((r) => new URL(r.url, entra.url).pathname);

describe('Entra ID sync: a full cycle, then incremental ones from Graph delta queries', () => {
  it('reads only the changes, deactivates only whom Graph reports removed', async () => {
    const created = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({
        name: 'Entra delta',
        type: 'entra-id',
        config: entra.connectionConfig({ syncGroups: false }),
      })
      .expect(201);
    const id = (created.body as { id: string }).id;

    const first = await run(id);
    expect(first.stats).toMatchObject({ mode: 'full', created: 10 });
    expect(graphPaths()).toEqual(['/v1.0/users/delta', '/v1.0/users']);

    entra.changeUser(graphUser(1).id, { jobTitle: 'CTO' });
    entra.changeUser(graphUser(2).id, { accountEnabled: false });
    entra.removeUser(graphUser(3).id, 'deleted');
    entra.reset();
    const second = await run(id);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.stats).toMatchObject({
      mode: 'incremental',
      fetched: 2,
      updated: 1,
      deactivated: 2,
      created: 0,
    });
    // The delta feed only: no full listing of users.
    expect(graphPaths()).toEqual(['/v1.0/users/delta']);
    expect(await activeEmails(id)).toEqual(
      [0, 1, 4, 5, 6, 7, 8, 9].map(email).sort((a, b) => a.localeCompare(b)),
    );
    const cto = await t.db.query<{ title: string }>(
      'SELECT title FROM employee WHERE source_connection_id = $1 AND email = $2',
      [id, email(1)],
    );
    expect(cto).toEqual([{ title: 'CTO' }]);

    // Graph forgets the deltaLink: the same job runs a full cycle instead, and takes a new one.
    entra.changeUser(graphUser(4).id, { surname: 'Renamed' });
    entra.expireDeltaLinks();
    entra.reset();
    const third = await run(id);
    expect(third.status).toBe('SUCCEEDED');
    expect(third.stats).toMatchObject({
      mode: 'full',
      modeReason: expect.stringMatching(/refused the stored cursor .*410 resyncRequired/),
      fetched: 9,
      updated: 1,
      deactivated: 0,
    });
    expect(graphPaths()).toEqual(['/v1.0/users/delta', '/v1.0/users/delta', '/v1.0/users']);

    // And the next run is incremental again, from the new deltaLink.
    entra.reset();
    const fourth = await run(id);
    expect(fourth.stats).toMatchObject({ mode: 'incremental', fetched: 0, deactivated: 0 });
  });
});
