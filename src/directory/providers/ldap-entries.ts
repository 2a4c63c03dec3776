/** What the LDAP provider's user and group readers share: defaults, ids, error words. */
import {
  Filter,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  type Client,
  type Entry,
} from 'ldapts';
import type { LdapConfig } from '../dto/provider-configs.js';
import { ProviderError, type DirectoryUser } from './directory-provider.js';
import { IdleSession } from './idle-session.js';

export const PAGE_SIZE = 500;
/** A session's connection is closed once no read has used it for this long. */
const IDLE_CLOSE_MS = 2000;
/** Active Directory's userAccountControl flag ACCOUNTDISABLE. */
const ACCOUNT_DISABLED = 0x2;
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

/** What a user search reads: the mapped attributes, the id, AD's account flags. */
export function userSearchAttributes(names: UserAttributes): string[] {
  return [
    names.email,
    names.firstName,
    names.lastName,
    names.department,
    names.title,
    ...idAttributes(names.externalId),
    'userAccountControl',
  ];
}

/** A user entry as the sync sees it; AD's disabled flag makes the user inactive. */
export function toDirectoryUser(entry: Entry, names: UserAttributes): DirectoryUser {
  const flags = Number(text(entry.userAccountControl) ?? 0);
  return {
    externalId: externalIdOf(entry, names.externalId),
    email: text(entry[names.email]),
    firstName: text(entry[names.firstName]),
    lastName: text(entry[names.lastName]),
    department: text(entry[names.department]),
    title: text(entry[names.title]),
    active: (flags & ACCOUNT_DISABLED) === 0,
  };
}

/** A subtree search's entries, a page (PAGE_SIZE) at a time; objectGUID read as bytes. */
export async function* pagedSearch(
  client: Client,
  base: string,
  search: { filter: string; attributes: string[] },
  signal: AbortSignal,
): AsyncIterable<Entry[]> {
  const pages = client.searchPaginated(base, {
    scope: 'sub',
    ...search,
    explicitBufferAttributes: ['objectGUID'],
    paged: { pageSize: PAGE_SIZE },
  });
  for (;;) {
    const page = await pages.next().catch(classify);
    if (page.done) return;
    signal.throwIfAborted();
    yield page.value.searchEntries;
  }
}

/** One bound connection shared by a reader's searches (see IdleSession). */
export function ldapSession(
  config: LdapConfig,
  connect: () => Client,
  signal: AbortSignal,
): IdleSession<Client> {
  const bind = async () => {
    const client = connect();
    await client.bind(config.bindDN, config.bindPassword).catch(classify);
    return client;
  };
  return new IdleSession(bind, (client) => client.unbind(), IDLE_CLOSE_MS, signal);
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A filter selecting the entry with this external id (see externalIdOf): an entryUUID or
 * objectGUID, or the configured attribute. Undefined when the id is the entry's DN.
 */
export function idFilter(id: string, configured: string | undefined): string | undefined {
  if (configured) return `(${configured}=${Filter.escape(id)})`;
  if (!UUID.test(id)) return undefined;
  return `(|(entryUUID=${id})(objectGUID=${guidFilterValue(id)}))`;
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

/** The byte order of AD's objectGUID within its text form (see guid). */
const GUID_BYTES = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

/** A GUID's text form as the bytes AD stores, escaped for a filter: `\12\ab…`. */
function guidFilterValue(id: string): string {
  const bytes = id.replace(/-/g, '').match(/../g) ?? [];
  return GUID_BYTES.map((i) => `\\${bytes[i]}`).join('');
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
