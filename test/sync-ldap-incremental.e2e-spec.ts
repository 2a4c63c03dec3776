import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import {
  groupDn,
  LDAP_ADMIN,
  LDAP_BASE,
  LDAP_PASSWORD,
  numberedDn as dn,
  numberedPerson as person,
  openLdapUnavailable,
  startOpenLdap,
  type OpenLdap,
} from './support/openldap.js';
import {
  bearer,
  createCompany,
  startTestApp,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

const unavailable = openLdapUnavailable();
if (unavailable) console.warn(`LDAP incremental sync tests skipped: ${unavailable}`);
const describeLdap = unavailable ? describe.skip : describe;

interface JobView {
  status: string;
  lastError: string | null;
  stats: Record<string, unknown> | null;
}

/**
 * Full and incremental cycles through the API, against a real OpenLDAP: the engine with the
 * LDAP change feed. Six people, seeded as changed in 2020; the tests' changes are stamped by
 * the server as they happen. One connection, its runs in order.
 */
describeLdap('LDAP syncs through the API: a full cycle, then incremental ones', () => {
  let ldap: OpenLdap;
  let t: TestApp;
  let acme: TestCompany;
  let worker: QueueWorker;
  let id: string;

  async function run(): Promise<JobView> {
    const res = await t
      .http()
      .post(`/api/directory/${id}/sync`)
      .set(bearer(acme.adminKey))
      .send({})
      .expect(202);
    await worker.drain();
    const jobId = (res.body as { jobId: string }).jobId;
    const job = await t.http().get(`/api/sync-jobs/${jobId}`).set(bearer(acme.adminKey));
    const view = job.body as JobView;
    expect(view).toMatchObject({ status: 'SUCCEEDED', lastError: null });
    return view;
  }

  async function employees(): Promise<Record<string, { active: boolean; title: string | null }>> {
    const rows = await t.db.query<{ email: string; active: boolean; title: string | null }>(
      `SELECT email, active, title FROM employee WHERE source_connection_id = $1`,
      [id],
    );
    return Object.fromEntries(rows.map((r) => [r.email, { active: r.active, title: r.title }]));
  }

  async function staffMembers(): Promise<string[]> {
    const rows = await t.db.query<{ email: string }>(
      `SELECT e.email FROM group_membership m
         JOIN employee e ON e.id = m.employee_id
         JOIN directory_group g ON g.id = m.group_id
        WHERE g.connection_id = $1 AND g.name = 'staff' ORDER BY e.email`,
      [id],
    );
    return rows.map((r) => r.email);
  }

  beforeAll(async () => {
    ldap = await startOpenLdap(
      Array.from({ length: 6 }, (_, n) => person(n)),
      [{ cn: 'staff', objectClass: 'groupOfNames', members: [dn(0), dn(1)] }],
    );
    t = await startTestApp({
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      SYNC_TRIGGER_RATE_LIMIT: '0',
    });
    worker = t.app.get(QueueWorker);
    acme = await createCompany(t);
    const res = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({
        name: 'Directory',
        type: 'ldap',
        config: {
          url: ldap.url,
          bindDN: LDAP_ADMIN,
          bindPassword: LDAP_PASSWORD,
          baseDN: LDAP_BASE,
        },
      })
      .expect(201);
    id = (res.body as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await ldap.stop();
  });

  it('the first sync is full and reads everyone', async () => {
    const job = await run();
    expect(job.stats).toMatchObject({
      mode: 'full',
      modeReason: expect.stringMatching(/no cursor yet/),
      fetched: 6,
      created: 6,
      groupsCreated: 1,
      membershipsAdded: 2,
    });
  });

  it('the next one is incremental and reads only the person who changed', async () => {
    await ldap.modify(dn(2), { title: 'CTO' });
    const job = await run();
    expect(job.stats).toMatchObject({
      mode: 'incremental',
      fetched: 1,
      created: 0,
      updated: 1,
      deactivated: 0,
    });
    expect((await employees())['user2@acme.test']).toEqual({ active: true, title: 'CTO' });
  });

  it('an incremental cycle keeps active someone deleted from the directory; a changed group is read again', async () => {
    await ldap.remove(dn(3));
    await ldap.modify(dn(4), { title: 'Designer' });
    await ldap.modify(groupDn('staff'), { member: [dn(0), dn(1), dn(5)] });
    const job = await run();
    // user2 again: changed less than the overlap margin before the cursor, read twice.
    expect(job.stats).toMatchObject({
      mode: 'incremental',
      fetched: 2,
      updated: 1,
      unchanged: 1,
      deactivated: 0,
      membershipsAdded: 1,
    });
    const roster = await employees();
    // LDAP does not report deletions: user3 stays active until a full cycle.
    expect(roster['user3@acme.test']).toEqual({ active: true, title: null });
    expect(roster['user4@acme.test'].title).toBe('Designer');
    expect(await staffMembers()).toEqual(['user0@acme.test', 'user1@acme.test', 'user5@acme.test']);
  });

  it('a person disabled in AD terms is deactivated by an incremental cycle: the feed reports them inactive', async () => {
    await ldap.modify(dn(5), { userAccountControl: String(512 + 2) });
    const job = await run();
    expect(job.stats).toMatchObject({ mode: 'incremental', deactivated: 1 });
    expect((await employees())['user5@acme.test'].active).toBe(false);
  });

  it('the scheduled full cycle deactivates whom the directory no longer has', async () => {
    await t.db.query(
      `UPDATE sync_cursor SET full_sync_at = now() - interval '25 hours' WHERE connection_id = $1`,
      [id],
    );
    const job = await run();
    expect(job.stats).toMatchObject({
      mode: 'full',
      modeReason: expect.stringMatching(/fullSyncIntervalHours 24/),
      fetched: 5,
      deactivated: 1,
    });
    expect((await employees())['user3@acme.test'].active).toBe(false);
  });
});
