import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  Client,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  type Entry,
} from 'ldapts';
import type { ProviderConfig } from '../connection-config.js';
import type { LdapConfig } from '../dto/provider-configs.js';
import { providerUrlProblem } from '../network-policy.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type DirectoryUser,
} from './directory-provider.js';
import { testFirstPages } from './connection-test.js';
import { guardedLookup } from './provider-http-client.js';

const PAGE_SIZE = 500;
const DEFAULT_FILTER = '(&(objectClass=person)(mail=*))';
/** Active Directory's userAccountControl flag ACCOUNTDISABLE. */
const ACCOUNT_DISABLED = 0x2;

const DEFAULT_ATTRIBUTES = {
  email: 'mail',
  firstName: 'givenName',
  lastName: 'sn',
  department: 'department',
  title: 'title',
  externalId: undefined as string | undefined,
};

export interface LdapOptions {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
}

/**
 * LDAP and Active Directory: simple bind, subtree search under `baseDN` with paged results
 * (500 a page), streamed page by page. The external id is `entryUUID` (OpenLDAP) or
 * `objectGUID` (AD) unless configured; AD's disabled flag makes a user inactive. The server's
 * resolved address obeys the same network policy as the HTTP providers.
 */
export class LdapProvider implements DirectoryProvider {
  readonly type = 'ldap' as const;

  constructor(private readonly options: LdapOptions) {}

  async *pages(raw: ProviderConfig, signal: AbortSignal): AsyncIterable<DirectoryUser[]> {
    const config = raw as unknown as LdapConfig;
    const names = { ...DEFAULT_ATTRIBUTES, ...config.attributes };
    const client = this.client(config);
    const stop = () => void client.unbind().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      await client.bind(config.bindDN, config.bindPassword).catch(classify);
      const search = client.searchPaginated(config.baseDN, {
        scope: 'sub',
        filter: config.userFilter ?? DEFAULT_FILTER,
        attributes: [
          names.email,
          names.firstName,
          names.lastName,
          names.department,
          names.title,
          ...(names.externalId ? [names.externalId] : ['entryUUID', 'objectGUID']),
          'userAccountControl',
        ],
        explicitBufferAttributes: ['objectGUID'],
        paged: { pageSize: PAGE_SIZE },
      });
      for (;;) {
        const page = await search.next().catch(classify);
        if (page.done) return;
        signal.throwIfAborted();
        yield page.value.searchEntries.map((entry) => toDirectoryUser(entry, names));
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await client.unbind().catch(() => undefined);
    }
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

/** An ldapts or socket error as one of our classes, with a message a person can act on. */
function classify(error: unknown): never {
  if (error instanceof ProviderError) throw error;
  if (error instanceof InvalidCredentialsError) {
    throw new ProviderError(
      'auth',
      'the LDAP server refused the bind DN or password (invalid credentials, result code 49)',
    );
  }
  if (error instanceof InsufficientAccessError) {
    throw new ProviderError(
      'auth',
      'the bind DN may not search this directory (insufficient access)',
    );
  }
  if (error instanceof NoSuchObjectError) {
    throw new ProviderError(
      'config',
      'the baseDN does not exist on the LDAP server (no such object)',
    );
  }
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    throw new ProviderError(
      'config',
      `the LDAP server's TLS certificate is not trusted (${code}); set caCertificate`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  throw new ProviderError(
    'transient',
    `the LDAP server could not be reached or failed: ${message}`,
  );
}

function toDirectoryUser(entry: Entry, names: typeof DEFAULT_ATTRIBUTES): DirectoryUser {
  const externalId = names.externalId
    ? text(entry[names.externalId])
    : (text(entry.entryUUID) ?? guid(entry.objectGUID));
  const flags = Number(text(entry.userAccountControl) ?? 0);
  return {
    externalId: externalId ?? entry.dn,
    email: text(entry[names.email]),
    firstName: text(entry[names.firstName]),
    lastName: text(entry[names.lastName]),
    department: text(entry[names.department]),
    title: text(entry[names.title]),
    active: (flags & ACCOUNT_DISABLED) === 0,
  };
}

/** The first value of an attribute, as text; undefined when the entry does not have it. */
function text(value: Entry[string] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : first;
}

/** AD's binary objectGUID in its usual text form (the first three fields are little-endian). */
function guid(value: Entry[string] | undefined): string | undefined {
  const bytes = Array.isArray(value) ? value[0] : value;
  if (!Buffer.isBuffer(bytes) || bytes.length !== 16) return undefined;
  const hex = (from: number, to: number, reverse = false) => {
    const part = bytes.subarray(from, to);
    return Buffer.from(reverse ? [...part].reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10), hex(10, 16)].join('-');
}
