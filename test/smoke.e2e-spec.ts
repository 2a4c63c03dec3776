import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createCompany, startTestApp, type TestApp } from './support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

it('boots', async () => {
  await t.http().get('/health/live').expect(200);
  const c = await createCompany(t);
  expect(c.adminKey).toMatch(/^dsk_/);
});
