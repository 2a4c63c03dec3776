/** What the LDAP provider's user and group readers share: defaults, ids, error words. */
import {
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  type Entry,
} from 'ldapts';
import type { LdapConfig } from '../dto/provider-configs.js';
import { ProviderError } from './directory-provider.js';

export const PAGE_SIZE = 500;
const DEFAULT_FILTER = '(&(objectClass=person)(mail=*))';
const DEFAULT_ATTRIBUTES = {
  email: 'mail',
  firstName: 'givenName',
  lastName: 'sn',
  department: 'department',
  title: 'title',
  externalId: undefined as string | undefined,
};

export function userFilter(config: LdapConfig): string {
  return config.userFilter ?? DEFAULT_FILTER;
}

export type UserAttributes = typeof DEFAULT_ATTRIBUTES;

export function userAttributes(config: LdapConfig): UserAttributes {
  return { ...DEFAULT_ATTRIBUTES, ...config.attributes };
}

/** The attributes that give an entry's external id: the configured one, or the usual UUIDs. */
export function idAttributes(configured: string | undefined): string[] {
  return configured ? [configured] : ['entryUUID', 'objectGUID'];
}

/** The entry's external id (see idAttributes); its DN when it has none. */
export function externalIdOf(entry: Entry, configured: string | undefined): string {
  const id = configured
    ? text(entry[configured])
    : (text(entry.entryUUID) ?? guid(entry.objectGUID));
  return id ?? entry.dn;
}

/** An ldapts or socket error as one of our classes, with a message a person can act on. */
export function classify(error: unknown): never {
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

/** The first value of an attribute, as text; undefined when the entry does not have it. */
export function text(value: Entry[string] | undefined): string | undefined {
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
