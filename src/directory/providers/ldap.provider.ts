import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';
import { syncsGroups, type ProviderConfig } from '../connection-config.js';
import type { LdapConfig } from '../dto/provider-configs.js';
import { providerUrlProblem } from '../network-policy.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
  type GroupReader,
} from './directory-provider.js';
import {
  classify,
  pagedSearch,
  toDirectoryUser,
  userAttributes,
  userFilter,
  userSearchAttributes,
} from './ldap-entries.js';
import { LdapChangeFeed } from './ldap-feed.js';
import { LdapGroupReader } from './ldap-groups.js';
import { testFirstPages } from './connection-test.js';
import { guardedLookup } from './provider-http-client.js';

export interface LdapOptions {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
}

/**
 * LDAP and Active Directory: simple bind, subtree search under `baseDN` with paged results
 * (500 a page), streamed page by page. The external id is `entryUUID` (OpenLDAP) or
 * `objectGUID` (AD) unless configured; AD's disabled flag makes a user inactive. The server's
 * resolved address obeys the same network policy as the HTTP providers. Groups: see
 * LdapGroupReader; incremental cycles: see LdapChangeFeed.
 */
export class LdapProvider implements DirectoryProvider {
  readonly type = 'ldap' as const;
  readonly feed = new LdapChangeFeed((config) => this.client(config));

  constructor(private readonly options: LdapOptions) {}

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    const config = raw as unknown as LdapConfig;
    const names = userAttributes(config);
    const client = this.client(config);
    const stop = () => void client.unbind().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      await client.bind(config.bindDN, config.bindPassword).catch(classify);
      const search = { filter: userFilter(config), attributes: userSearchAttributes(names) };
      for await (const entries of pagedSearch(client, config.baseDN, search, signal)) {
        yield entries.map((entry) => toDirectoryUser(entry, names));
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await client.unbind().catch(() => undefined);
    }
  }

  /** See LdapGroupReader: groups searched like users, their members resolved in batches. */
  openGroups(raw: ProviderConfig, signal: AbortSignal): GroupReader | undefined {
    if (!syncsGroups(raw)) return undefined;
    const config = raw as unknown as LdapConfig;
    return new LdapGroupReader(config, () => this.client(config), signal);
  }

  test(raw: ProviderConfig, signal: AbortSignal): Promise<ConnectionTestResult> {
    return testFirstPages(this, raw, signal);
  }

  private client(config: LdapConfig): Client {
    const problem = providerUrlProblem(config.url, this.options.allowPrivateNetworks);
    if (problem) throw new ProviderError('config', `LDAP URL ${problem}`);
    const lookup = guardedLookup(this.options.allowPrivateNetworks);
    return new Client({
      url: config.url,
      timeout: this.options.timeoutMs,
      connectTimeout: this.options.timeoutMs,
      // The resolved address is checked on every connection, as for HTTP providers.
      // ldapts calls these as (port, host[, tlsOptions]).
      createConnection: ((port: number, host: string) =>
        netConnect({ port, host, lookup })) as typeof netConnect,
      createSecureConnection: ((port: number, host: string, tls?: ConnectionOptions) =>
        tlsConnect({ ...tls, port, host, servername: host, lookup })) as typeof tlsConnect,
      // ldapts switches to TLS whenever tlsOptions are given: only for ldaps:// URLs.
      ...(config.url.startsWith('ldaps:')
        ? {
            tlsOptions: {
              rejectUnauthorized: true,
              ...(config.caCertificate ? { ca: [config.caCertificate] } : {}),
            },
          }
        : {}),
    });
  }
}
