import { expect } from '@jest/globals';
import { ProviderError } from '../../src/directory/providers/directory-provider.js';
import { SyncService, type SyncOptions, type SyncStats } from '../../src/sync/sync.service.js';
import { bearer, type TestApp, type TestCompany } from './test-app.js';

/** The group counts of a run's stats over a directory without groups. */
export const NO_GROUP_CHANGES = {
  groupsCreated: 0,
  groupsUpdated: 0,
  groupsDeleted: 0,
  membershipsAdded: 0,
  membershipsRemoved: 0,
};

/** A run's stage timings, whatever they measured (test/sync-okta checks what they hold). */
export const ANY_TIMINGS = { timings: expect.objectContaining({ total: expect.any(Number) }) };

/** What a spec's directory connections are created with, unless a call says otherwise. */
export interface ConnectionDefaults {
  name: string;
  type: string;
  /** Left out of the request when absent (the API's default applies). */
  deprovisionThresholdPercent?: number;
  /**
   * The provider config, built at each call: the fakes' URLs are only known once they have
   * started, and some specs want a fresh value (a client secret) per connection.
   */
  config: () => Record<string, unknown>;
}

export interface CreateConnectionOptions {
  company?: TestCompany;
  deprovisionThresholdPercent?: number;
}

export interface ProviderHarnessOptions {
  /** Getters: specs start the app and create the company in beforeAll. */
  app: () => TestApp;
  company: () => TestCompany;
  connection: ConnectionDefaults;
}

/**
 * The helpers the provider e2e specs share: create a connection, sync it in process, read
 * back the connection, an employee or a connection test, all as the spec's company unless
 * another one is given.
 */
export function providerHarness({ app, company, connection: defaults }: ProviderHarnessOptions) {
  async function createConnection(
    config: Record<string, unknown> = {},
    options: CreateConnectionOptions = {},
  ): Promise<string> {
    const threshold = options.deprovisionThresholdPercent ?? defaults.deprovisionThresholdPercent;
    const res = await app()
      .http()
      .post('/api/directory')
      .set(bearer((options.company ?? company()).adminKey))
      .send({
        name: defaults.name,
        type: defaults.type,
        ...(threshold === undefined ? {} : { deprovisionThresholdPercent: threshold }),
        config: { ...defaults.config(), ...config },
      })
      .expect(201);
    return (res.body as { id: string }).id;
  }

  function sync(
    connectionId: string,
    options: SyncOptions = {},
    as: TestCompany = company(),
  ): Promise<SyncStats> {
    return app()
      .app.get(SyncService)
      .syncConnection(as.id, connectionId, new AbortController().signal, options);
  }

  /** Syncs expecting the run to fail with a ProviderError, and returns it. */
  async function syncError(connectionId: string): Promise<ProviderError> {
    const error = await sync(connectionId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }

  /** GET /api/employees with `query` (`?email=…&active=…`, or ''). */
  async function employees(query = '', as: TestCompany = company()) {
    const res = await app()
      .http()
      .get(`/api/employees${query}`)
      .set(bearer(as.adminKey))
      .expect(200);
    return res.body as { items: Record<string, unknown>[]; nextCursor: string | null };
  }

  /** The employee with this email (undefined at run time when there is none). */
  async function employee(email: string) {
    return (await employees(`?email=${encodeURIComponent(email)}`)).items[0];
  }

  async function connection(id: string) {
    const res = await app()
      .http()
      .get(`/api/directory/${id}`)
      .set(bearer(company().adminKey))
      .expect(200);
    return res.body as Record<string, unknown>;
  }

  /** POST /api/directory/:id/test: `{ ok, userCount }` or `{ ok: false, error }`. */
  async function testConnection(id: string) {
    const res = await app()
      .http()
      .post(`/api/directory/${id}/test`)
      .set(bearer(company().adminKey))
      .expect(200);
    return res.body as Record<string, unknown>;
  }

  return { createConnection, sync, syncError, employees, employee, connection, testConnection };
}
