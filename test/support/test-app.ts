import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { parseConfig } from '../../src/config/config.schema.js';
import type { RootLogger } from '../../src/logging/logger.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { contractOf, contractViolations, recordAnswers } from './openapi-contract.js';

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
export const PLATFORM_TOKEN = 'test-platform-admin-token';

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * The real AppModule on a fresh database of its own (or on `shared`, another app's, to run
 * two instances side by side); `env` overrides the test defaults; logs go to `log` (none
 * without it).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  shared?: TestDatabase,
  log?: RootLogger,
): Promise<TestApp> {
  const db = shared ?? (await createTestDatabase());
  const config = parseConfig({
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
    DATA_DIR: '/nonexistent/directory-sync-tests',
    LOG_LEVEL: 'error',
    // No background worker unless a spec asks for one (ROLE=all): specs drive the queue.
    ROLE: 'api',
    ...env,
  });
  const app = await createApp(config, db.url, log ? { log } : { logger: false });
  await app.init();
  const server = app.getHttpServer() as Server;
  // Every answer of every e2e test must be one the OpenAPI document declares.
  const answers = recordAnswers(server);
  return {
    app,
    db,
    http: () => request(server),
    close: async () => {
      const contract = contractOf(app);
      await app.close();
      if (!shared) await db.drop();
      const violations = contractViolations(contract, answers);
      if (violations.length) {
        throw new Error(`answers the OpenAPI document does not declare:\n${violations.join('\n')}`);
      }
    },
  };
}

export interface TestCompany {
  id: string;
  adminKey: string;
  adminKeyId: string;
}

export async function createCompany(t: TestApp, name = 'Acme'): Promise<TestCompany> {
  const res = await t
    .http()
    .post('/api/admin/companies')
    .set('Authorization', `Bearer ${PLATFORM_TOKEN}`)
    .send({ name })
    .expect(201);
  const body = res.body as { company: { id: string }; apiKey: { id: string; key: string } };
  return { id: body.company.id, adminKey: body.apiKey.key, adminKeyId: body.apiKey.id };
}

export async function createKey(t: TestApp, adminKey: string, role: 'admin' | 'viewer') {
  const res = await t
    .http()
    .post('/api/api-keys')
    .set('Authorization', `Bearer ${adminKey}`)
    .send({ name: `${role} key`, role })
    .expect(201);
  return res.body as { id: string; key: string };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
