import { NoSuchObjectError, type Client, type Entry } from 'ldapts';
import type { LdapConfig } from '../dto/provider-configs.js';
import type { DirectoryGroup, GroupReader } from './directory-provider.js';
import { directoryGroup, groupGone } from './group-pages.js';
import type { IdleSession } from './idle-session.js';
import {
  baseAttribute,
  canonicalDn,
  nextRange,
  parseDn,
  rdnFilter,
  withoutOptionalUid,
} from './ldap-dn.js';
import {
  classify,
  externalIdOf,
  idAttributes,
  idFilter,
  ldapSession,
  pagedSearch,
  PAGE_SIZE,
  text,
  userAttributes,
  userFilter,
} from './ldap-entries.js';

const DEFAULT_GROUP_FILTER =
  '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))';
/** Member DNs resolved per search: one `(|(uid=…)…)` filter of this many clauses. */
export const MEMBER_BATCH = 200;
const PROVIDER = 'the LDAP server';

/**
 * The groups of an LDAP / Active Directory connection.
 *
 * `groups()`: a paged subtree search under `groupBaseDN` (default `baseDN`) with `groupFilter`
 * (default groupOfNames, groupOfUniqueNames and AD `group` entries), reading the name,
 * description and id attributes only — never the member lists, which can be huge.
 *
 * `members(group)`: the group entry's `member` / `uniqueMember` DNs (one base read; AD's
 * ranged retrieval followed for groups of more than 1,500), then resolved to the people the
 * user sync reads: batches of MEMBER_BATCH DNs become one search under `baseDN` with
 * `(&<userFilter>(|(uid=a)(uid=b)…))` built from each DN's RDN, and only entries whose DN is
 * one of the batch's count (an RDN can repeat in other branches). So a group of n members
 * costs n/200 searches, never one per member, and memory holds one group's DNs, not the
 * directory. A member DN that is not such a person — a nested group, someone outside the user
 * filter, a dangling DN — is left out: nested groups are not flattened.
 *
 * The reader remembers the DN of each group it listed (a short string per group); a group it
 * did not list (one an incremental cycle found changed) is first looked up by its id. Its
 * reads share one bound connection (an IdleSession).
 */
export class LdapGroupReader implements GroupReader {
  private readonly dnById = new Map<string, string>();
  private readonly session: IdleSession<Client>;

  constructor(
    private readonly config: LdapConfig,
    connect: () => Client,
    private readonly signal: AbortSignal,
  ) {
    this.session = ldapSession(config, connect, signal);
  }

  groups(): AsyncIterable<DirectoryGroup[]> {
    return this.session.stream((client) => this.listGroups(client));
  }

  members(group: DirectoryGroup): AsyncIterable<string[]> {
    return this.session.stream((client) => this.listMembers(client, group));
  }

  private async *listGroups(client: Client): AsyncIterable<DirectoryGroup[]> {
    const listing = groupListing(this.config);
    const search = { filter: listing.filter, attributes: listing.attributes };
    for await (const entries of pagedSearch(client, listing.base, search, this.signal)) {
      yield entries.map((entry) => {
        const group = listing.toGroup(entry);
        this.dnById.set(group.externalId, entry.dn);
        return group;
      });
    }
  }

  private async *listMembers(client: Client, group: DirectoryGroup): AsyncIterable<string[]> {
    const dn = this.dnById.get(group.externalId) ?? (await this.findDn(client, group));
    const memberDns = await this.memberDns(client, dn, group);
    for (let i = 0; i < memberDns.length; i += MEMBER_BATCH) {
      this.signal.throwIfAborted();
      const ids = await this.resolve(client, memberDns.slice(i, i + MEMBER_BATCH));
      if (ids.length) yield ids;
    }
  }

  /** The DN of a group this reader did not list, found by its id (the id may be the DN). */
  private async findDn(client: Client, group: DirectoryGroup): Promise<string> {
    const listing = groupListing(this.config);
    const byId = idFilter(group.externalId, listing.idAttribute);
    if (!byId) return group.externalId;
    const { searchEntries } = await client
      .search(listing.base, {
        scope: 'sub',
        filter: `(&${listing.filter}${byId})`,
        attributes: ['1.1'],
      })
      .catch(classify);
    if (!searchEntries[0]) throw groupGone(PROVIDER, group);
    return searchEntries[0].dn;
  }

  /** The group's member DNs, every range of them on Active Directory. */
  private async memberDns(client: Client, dn: string, group: DirectoryGroup): Promise<string[]> {
    const wanted = this.config.groupAttributes?.member;
    const memberAttributes = (wanted ? [wanted] : ['member', 'uniqueMember']).map((a) =>
      a.toLowerCase(),
    );
    const dns: string[] = [];
    let attributes = memberAttributes;
    while (attributes.length) {
      const entry = await this.readEntry(client, dn, attributes, group);
      attributes = [];
      for (const [key, value] of Object.entries(entry)) {
        if (!memberAttributes.includes(baseAttribute(key).toLowerCase())) continue;
        for (const member of [value].flat()) dns.push(withoutOptionalUid(String(member)));
        const next = nextRange(key);
        if (next) attributes.push(next);
      }
    }
    return dns;
  }

  private async readEntry(
    client: Client,
    dn: string,
    attributes: string[],
    group: DirectoryGroup,
  ): Promise<Entry> {
    try {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes,
      });
      if (searchEntries[0]) return searchEntries[0];
    } catch (error) {
      if (!(error instanceof NoSuchObjectError)) classify(error);
    }
    throw groupGone(PROVIDER, group);
  }

  /** The external ids of the people among `dns`, with one search. */
  private async resolve(client: Client, dns: string[]): Promise<string[]> {
    const wanted = new Set<string>();
    const clauses = new Set<string>();
    for (const dn of dns) {
      const parsed = parseDn(dn);
      if (!parsed) continue;
      wanted.add(canonicalDn(parsed));
      clauses.add(rdnFilter(parsed[0]));
    }
    if (!clauses.size) return [];
    const names = userAttributes(this.config);
    const { searchEntries } = await client
      .search(this.config.baseDN, {
        scope: 'sub',
        filter: `(&${userFilter(this.config)}(|${[...clauses].join('')}))`,
        attributes: idAttributes(names.externalId),
        explicitBufferAttributes: ['objectGUID'],
        paged: { pageSize: PAGE_SIZE },
      })
      .catch(classify);
    return searchEntries
      .filter((entry) => {
        const parsed = parseDn(entry.dn);
        return parsed !== undefined && wanted.has(canonicalDn(parsed));
      })
      .map((entry) => externalIdOf(entry, names.externalId));
  }
}

/**
 * How a connection's groups are searched and read: under `groupBaseDN` (default `baseDN`)
 * with `groupFilter`; the name, description and id attributes only.
 */
export function groupListing(config: LdapConfig) {
  const names = { name: 'cn', description: 'description', ...config.groupAttributes };
  return {
    base: config.groupBaseDN ?? config.baseDN,
    filter: config.groupFilter ?? DEFAULT_GROUP_FILTER,
    attributes: [names.name, names.description, ...idAttributes(names.externalId)],
    idAttribute: names.externalId,
    toGroup: (entry: Entry): DirectoryGroup =>
      directoryGroup(
        externalIdOf(entry, names.externalId),
        text(entry[names.name]),
        text(entry[names.description]),
      ),
  };
}
