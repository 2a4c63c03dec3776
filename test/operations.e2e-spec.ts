import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { parseConfig } from '../src/config/config.schema.js';
import { createRootLogger } from '../src/logging/logger.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import { FakeOkta, oktaUser } from './fakes/fake-okta.js';
import { createTestDatabase } from './support/databases.js';
import { freePort } from '../src/common/free-port.js';
import { registeredRoutes } from './support/routes.js';
import { startServiceProcess } from './support/service-process.js';
import {
  bearer,
  createCompany,
  PLATFORM_TOKEN,
  startTestApp,
  TEST_ENCRYPTION_KEY,
  type TestApp,
} from './support/test-app.js';

const QUEUE_ENV = {
  DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
  PROVIDER_RETRY_BASE_MS: '1',
  PROVIDER_MAX_RETRIES: '0',
  SYNC_BACKOFF_BASE_MS: '100',
  SYNC_TRIGGER_RATE_LIMIT: '0',
};

/** `/api/directory/:id` -> `/api/directory/{id}`; wildcards `*name` -> `{name}`. */
const toOpenApiPath = (path: string) =>
  path
    .replace(/:(\w+)/g, '{$1}')
    .replace(/\*(\w+)/g, '{$1}')
    .replace(/\{\/?\{(\w+)\}\}/g, '{$1}');

describe('OpenAPI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves Swagger UI at /docs and the document at /docs/json, without a key', async () => {
    const ui = await t.http().get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger');
    const doc = await t.http().get('/docs/json').expect(200);
    expect((doc.body as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('documents every route the app registers, bearer auth and the error shape', async () => {
    const doc = (await t.http().get('/docs/json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, { scheme: string }>; schemas: object };
    };
    const routes = registeredRoutes(t).filter((route) => !/ \/docs/.test(route));
    expect(routes.length).toBeGreaterThan(15);
    const missing = routes.filter((route) => {
      const [method, path] = route.split(' ');
      return !doc.paths[toOpenApiPath(path)]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ scheme: 'bearer' });
    expect(doc.components.schemas).toHaveProperty('ErrorSchema');
    expect(doc.components.schemas).toHaveProperty('OktaConfig');
    const sync = doc.paths['/api/directory/{id}/sync'].post;
    expect(Object.keys(sync.responses)).toEqual(expect.arrayContaining(['202', '400', '401']));
  });
});

describe('health', () => {
  it('/health/live is 200 {status: ok}; /health/ready checks the database and the worker', async () => {
    const t = await startTestApp({ ROLE: 'all', SYNC_POLL_INTERVAL_MS: '200' });
    try {
      await t.http().get('/health/live').expect(200, { status: 'ok' });
      const ready = await t.http().get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, worker: { status: 'up' } },
      });
    } finally {
      await t.close();
    }
  });

  it('a worker process (ROLE=worker) serves probes and metrics on OPS_PORT', async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const worker = startServiceProcess('worker', {
      DATABASE_URL: db.url,
      OPS_PORT: String(port),
      NODE_ENV: 'production',
      SYNC_POLL_INTERVAL_MS: '200',
    });
    try {
      await worker.waitFor('worker started');
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        info: { database: { status: 'up' }, worker: { status: 'up' } },
      });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('directory_sync_queue_depth 0');
      expect((await fetch(`${base}/api/employees`)).status).toBe(404);
      // NODE_ENV=production: JSON log lines.
      const started = worker
        .output()
        .split('\n')
        .find((line) => line.includes('worker started'));
      expect(JSON.parse(started!)).toMatchObject({ level: 'info', context: 'Bootstrap' });
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
      await db.drop();
    }
  }, 30_000);

  it('/health/ready flips to 503 naming the database when it is unreachable, and back', async () => {
    const t = await startTestApp();
    const name = new URL(t.db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_URL });
    await admin.connect();
    try {
      await t.http().get('/health/ready').expect(200);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      const down = await t.http().get('/health/ready').expect(503);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { database: { status: 'down' } },
      });
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      const up = await t.http().get('/health/ready').expect(200);
      expect(up.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await t.close();
    }
  });
});

describe('metrics and logs of a sync', () => {
  const SECRET = 'okta-secret-token-5b1f0c9e';
  let okta: FakeOkta;
  let t: TestApp;
  let logs = '';

  beforeAll(async () => {
    okta = new FakeOkta({ token: SECRET, users: [oktaUser(1), oktaUser(2), oktaUser(3)] });
    await okta.start();
    const db = await createTestDatabase();
    const config = parseConfig({
      ...QUEUE_ENV,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
      DATA_DIR: '/nonexistent/directory-sync-tests',
      LOG_LEVEL: 'verbose',
      ROLE: 'api',
    });
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const log = createRootLogger({ level: 'verbose', pretty: false, destination: capture });
    const app = await createApp(config, db.url, { log });
    await app.init();
    const server = app.getHttpServer() as Server;
    t = {
      app,
      db,
      http: () => request(server),
      close: async () => {
        await app.close();
        await db.drop();
      },
    };
  });
  afterAll(async () => {
    await t.close();
    await okta.stop();
  });

  it('counts jobs, employees and provider requests, and never logs a secret', async () => {
    const acme = await createCompany(t);
    const created = await t
      .http()
      .post('/api/directory')
      .set(bearer(acme.adminKey))
      .send({ name: 'Okta', type: 'okta', config: { orgUrl: okta.url, apiToken: SECRET } })
      .expect(201);
    const connectionId = (created.body as { id: string }).id;
    const triggered = await t
      .http()
      .post(`/api/directory/${connectionId}/sync`)
      .set(bearer(acme.adminKey))
      .set('X-Request-Id', 'req-ops-test-1')
      .expect(202);
    const jobId = (triggered.body as { jobId: string }).jobId;
    await t.app.get(QueueWorker).drain();

    // A failing run too: Okta refuses the token (auth, not retried).
    okta.faults.push({ status: 401 });
    await t
      .http()
      .post(`/api/directory/${connectionId}/sync`)
      .set(bearer(acme.adminKey))
      .expect(202);
    await t.app.get(QueueWorker).drain();

    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/directory_sync_jobs_finished_total\{status="SUCCEEDED"\} 1/);
    expect(text).toMatch(/directory_sync_jobs_finished_total\{status="FAILED"\} 1/);
    expect(text).toMatch(/directory_sync_job_failures_total\{error_class="auth"\} 1/);
    expect(text).toMatch(
      /directory_sync_employees_upserted_total\{provider="okta",change="created"\} 3/,
    );
    expect(text).toMatch(/directory_sync_employees_deactivated_total\{provider="okta"\} 0/);
    expect(text).toMatch(
      /directory_sync_job_duration_seconds_count\{provider="okta",outcome="succeeded"\} 1/,
    );
    expect(text).toMatch(/directory_sync_provider_requests_total\{provider="Okta",status="200"\}/);
    expect(text).toMatch(
      /directory_sync_provider_requests_total\{provider="Okta",status="401"\} 1/,
    );
    expect(text).toMatch(/directory_sync_queue_depth 0/);
    expect(text).toMatch(/directory_sync_queue_oldest_due_age_seconds 0/);
    expect(text).toMatch(/directory_sync_jobs\{status="PENDING"\} 0/);
    expect(text).toMatch(
      /directory_sync_http_request_duration_seconds_count\{method="POST",route="\/api\/directory\/:id\/sync",status="202"\} 2/,
    );

    // Logs: JSON lines, request ids on HTTP lines, job ids on job lines, no secret anywhere.
    const lines = logs
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(acme.adminKey);
    expect(logs).not.toContain(PLATFORM_TOKEN);
    const httpLine = lines.find(
      (l) => (l.req as { id?: string } | undefined)?.id === 'req-ops-test-1',
    );
    // Method, URL and id; never the headers (the bearer key among them).
    expect(httpLine).toMatchObject({
      level: 'info',
      requestId: 'req-ops-test-1',
      req: { method: 'POST', url: `/api/directory/${connectionId}/sync` },
      res: { statusCode: 202 },
    });
    expect(httpLine!.req).not.toHaveProperty('headers');
    const jobLines = lines.filter((l) => l.jobId === jobId);
    expect(jobLines.length).toBeGreaterThan(0);
    for (const line of jobLines) {
      expect(line).toMatchObject({ connectionId, companyId: acme.id });
    }
    expect(lines.some((l) => l.level === 'warn' && typeof l.jobId === 'string')).toBe(true);
    // Scrapes and probes are not request-logged.
    expect(lines.some((l) => (l.req as { url?: string } | undefined)?.url === '/metrics')).toBe(
      false,
    );
  });
});
