import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { providerHarness } from './provider-harness.js';
import { createCompany, startTestApp, type TestApp, type TestCompany } from './test-app.js';

export interface GroupConfigCase {
  type: string;
  /** The connection's config without its group fields (the fakes' URLs are known late). */
  config: () => Record<string, unknown>;
  /** The group fields the connection is created with; GET must show them as sent. */
  groupConfig: Record<string, unknown>;
  /** What `POST /api/directory/:id/test` answers for that connection. */
  tested: Record<string, unknown>;
  /** More tests in the same suite, with its app and company. */
  more?: (suite: GroupConfigSuite) => void;
}

export interface GroupConfigSuite {
  app: () => TestApp;
  company: () => TestCompany;
  harness: ReturnType<typeof providerHarness>;
}

/**
 * The API side of a provider's group config, the same for every provider: the app keeps the
 * group fields of a connection, and its connection test counts the first page of groups.
 */
export function describeGroupConfig(title: string, c: GroupConfigCase): void {
  describe(title, () => {
    let t: TestApp;
    let company: TestCompany;
    const suite: GroupConfigSuite = {
      app: () => t,
      company: () => company,
      harness: providerHarness({
        app: () => t,
        company: () => company,
        connection: { name: c.type, type: c.type, config: c.config },
      }),
    };
    beforeAll(async () => {
      t = await startTestApp({
        DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
        PROVIDER_RETRY_BASE_MS: '1',
      });
      company = await createCompany(t, 'Acme');
    });
    afterAll(() => t.close());

    it('keeps the group fields, and the connection test counts the first page of groups', async () => {
      const id = await suite.harness.createConnection(c.groupConfig);
      expect((await suite.harness.connection(id)).config).toMatchObject(c.groupConfig);
      expect(await suite.harness.testConnection(id)).toEqual(c.tested);
    });
    c.more?.(suite);
  });
}
