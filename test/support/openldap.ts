import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from '../../src/common/free-port.js';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
export const LDAP_BASE = 'dc=acme,dc=test';
export const LDAP_ADMIN = `cn=admin,${LDAP_BASE}`;
export const LDAP_PASSWORD = 'admin-secret';
/**
 * Every seeded entry's modifyTimestamp: long before any test runs, so that a change feed's
 * test tells the entries it changed (stamped by the server now) from the seed.
 */
export const LDAP_SEEDED_AT = '20200101000000Z';
/** Active Directory's capability OID in a rootDSE's supportedCapabilities. */
const AD_CAPABILITY = '1.2.840.113556.1.4.800';

/**
 * AD's `department`, `userAccountControl` and `whenChanged` as an auxiliary class, so the
 * tests can give real OpenLDAP entries Active Directory's attributes (`whenChanged` written
 * by the test, not the server), and the rootDSE attributes by which AD tells what it is and
 * its time.
 */
const AD_SCHEMA = `
attributetype ( 1.2.840.113556.1.2.141 NAME 'department'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.3 NAME 'whenChanged'
  EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.2.1 NAME 'currentTime'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.2.2 NAME 'supportedCapabilities'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.38 )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'adUser' AUXILIARY
  MAY ( department $ userAccountControl $ whenChanged ) )
objectclass ( 1.3.6.1.4.1.55555.1.2 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ description $ whenChanged ) )
`;

export interface LdapPerson {
  uid: string;
  mail?: string;
  givenName: string;
  sn: string;
  title?: string;
  department?: string;
  userAccountControl?: number;
}

/**
 * A group under ou=groups: a groupOfNames (`member`), groupOfUniqueNames (`uniqueMember`) or
 * Active Directory `group` (`member`, from the AD schema above). `members` are DNs as written
 * into the entry; `personDn(uid)` gives a person's.
 */
export interface LdapGroup {
  cn: string;
  objectClass: 'groupOfNames' | 'groupOfUniqueNames' | 'group';
  members: string[];
  description?: string;
}

export interface OpenLdap {
  url: string;
  /** Replaces every person under ou=people with `people` (through LDAP, while running). */
  setPeople(people: LdapPerson[]): Promise<void>;
  /** Replaces these attributes of one entry (through LDAP: the server stamps the change). */
  modify(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  /** Deletes one entry (through LDAP, while running). */
  remove(dn: string): Promise<void>;
  /** Deletes the group with this cn under ou=groups (through LDAP, while running). */
  deleteGroup(cn: string): Promise<void>;
  stop(): Promise<void>;
}

export interface OpenLdapOptions {
  /**
   * Present as Active Directory: AD's capability in the rootDSE, and this `currentTime` there
   * (fixed: the AD tests choose the server's time).
   */
  activeDirectory?: { currentTime: string };
}

/** Why OpenLDAP cannot run here, or undefined when it can. */
export function openLdapUnavailable(): string | undefined {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD)) {
    return `${SLAPD} is not installed (Debian package slapd; .ci/run installs it)`;
  }
  return undefined;
}

/**
 * A real OpenLDAP server (Debian's slapd) on a free port with a generated configuration: an
 * mdb database under dc=acme,dc=test whose size limit is 500 entries, so a search of more
 * people must use paged results as the provider does. Seeded offline with slapadd, every
 * entry as last modified at LDAP_SEEDED_AT.
 */
export async function startOpenLdap(
  people: LdapPerson[],
  groups: LdapGroup[] = [],
  options: OpenLdapOptions = {},
): Promise<OpenLdap> {
  const dir = await mkdtemp(join(tmpdir(), 'directory-sync-ldap-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'ad.schema'), AD_SCHEMA);
  const ad = options.activeDirectory;
  if (ad) {
    await writeFile(
      join(dir, 'root.ldif'),
      `dn:\nsupportedCapabilities: ${AD_CAPABILITY}\ncurrentTime: ${ad.currentTime}\n`,
    );
  }
  await writeFile(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `include ${dir}/ad.schema`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${dir}/slapd.pid`,
      ...(ad ? [`rootDSE ${dir}/root.ldif`] : []),
      'database mdb',
      'maxsize 1073741824',
      `suffix "${LDAP_BASE}"`,
      `rootdn "${LDAP_ADMIN}"`,
      `rootpw ${LDAP_PASSWORD}`,
      `directory ${dir}/data`,
      'limits * size.soft=500 size.hard=500 size.prtotal=unlimited',
      'index objectClass eq',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'seed.ldif'),
    baseLdif() + people.map(personLdif).join('') + groups.map(groupLdif).join(''),
  );
  const seeded = spawnSync(SLAPADD, ['-f', join(dir, 'slapd.conf'), '-l', join(dir, 'seed.ldif')]);
  if (seeded.status !== 0) throw new Error(`slapadd failed: ${seeded.stderr.toString()}`);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const slapd: ChildProcess = spawn(
    SLAPD,
    ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'],
    {
      stdio: 'ignore',
    },
  );
  for (let tries = 0; ; tries++) {
    const client = new Client({ url, connectTimeout: 500 });
    try {
      await client.bind(LDAP_ADMIN, LDAP_PASSWORD);
      await client.unbind();
      break;
    } catch (error) {
      if (tries > 100) throw error;
      await sleep(50);
    }
  }

  /** Runs `work` with a client bound as the directory's admin. */
  const asAdmin = async (work: (client: Client) => Promise<void>) => {
    const client = new Client({ url });
    await client.bind(LDAP_ADMIN, LDAP_PASSWORD);
    try {
      await work(client);
    } finally {
      await client.unbind();
    }
  };

  return {
    url,
    setPeople: (next) =>
      asAdmin(async (client) => {
        const { searchEntries } = await client.search(`ou=people,${LDAP_BASE}`, {
          scope: 'one',
          filter: '(objectClass=*)',
          attributes: ['uid'],
          paged: true,
        });
        const wanted = new Map(next.map((p) => [personDn(p), p]));
        for (const entry of searchEntries) {
          const person = wanted.get(entry.dn);
          if (!person) {
            await client.del(entry.dn);
            continue;
          }
          // Modified in place, so the entry keeps its entryUUID as a real directory would.
          wanted.delete(entry.dn);
          const attributes = Object.entries(personAttributes(person)).filter(
            ([type]) => type !== 'objectClass' && type !== 'uid',
          );
          await client.modify(entry.dn, replacing(Object.fromEntries(attributes)));
        }
        for (const [dn, person] of wanted) await client.add(dn, personAttributes(person));
      }),
    modify: (dn, attributes) => asAdmin((client) => client.modify(dn, replacing(attributes))),
    remove: (dn) => asAdmin((client) => client.del(dn)),
    deleteGroup: (cn) => asAdmin((client) => client.del(groupDn(cn))),
    async stop() {
      slapd.kill('SIGTERM');
      await new Promise((resolve) =>
        slapd.exitCode !== null ? resolve(null) : slapd.once('exit', resolve),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Modifications replacing each of these attributes' values. */
function replacing(attributes: Record<string, string | string[]>): Change[] {
  return Object.entries(attributes).map(
    ([type, values]) =>
      new Change({
        operation: 'replace',
        modification: new Attribute({ type, values: [values].flat() }),
      }),
  );
}

/** Person n of a test directory: `user<n>`, mailed at `user<n>@acme.test`. */
export function numberedPerson(n: number, extra: Partial<LdapPerson> = {}): LdapPerson {
  return {
    uid: `user${n}`,
    mail: `user${n}@acme.test`,
    givenName: `First${n}`,
    sn: `Last${n}`,
    ...extra,
  };
}

/** The DN of numberedPerson(n). */
export function numberedDn(n: number): string {
  return personDn({ uid: `user${n}` });
}

export function personDn(person: Pick<LdapPerson, 'uid'>): string {
  return `uid=${person.uid},ou=people,${LDAP_BASE}`;
}

export function groupDn(cn: string): string {
  return `cn=${cn},ou=groups,${LDAP_BASE}`;
}

function personAttributes(person: LdapPerson): Record<string, string | string[]> {
  const attributes: Record<string, string | string[]> = {
    objectClass: ['inetOrgPerson', 'adUser'],
    uid: person.uid,
    cn: `${person.givenName} ${person.sn}`,
    givenName: person.givenName,
    sn: person.sn,
  };
  if (person.mail) attributes.mail = person.mail;
  if (person.title) attributes.title = person.title;
  if (person.department) attributes.department = person.department;
  if (person.userAccountControl !== undefined) {
    attributes.userAccountControl = String(person.userAccountControl);
  }
  return attributes;
}

function baseLdif(): string {
  return [
    `dn: ${LDAP_BASE}`,
    'objectClass: dcObject',
    'objectClass: organization',
    'dc: acme',
    'o: Acme',
    `modifyTimestamp: ${LDAP_SEEDED_AT}`,
    '',
    `dn: ou=people,${LDAP_BASE}`,
    'objectClass: organizationalUnit',
    'ou: people',
    `modifyTimestamp: ${LDAP_SEEDED_AT}`,
    '',
    `dn: ou=groups,${LDAP_BASE}`,
    'objectClass: organizationalUnit',
    'ou: groups',
    `modifyTimestamp: ${LDAP_SEEDED_AT}`,
    '',
    '',
  ].join('\n');
}

function groupLdif(group: LdapGroup): string {
  const attribute = group.objectClass === 'groupOfUniqueNames' ? 'uniqueMember' : 'member';
  const lines = [
    `dn: ${groupDn(group.cn)}`,
    `objectClass: ${group.objectClass}`,
    `cn: ${group.cn}`,
    `modifyTimestamp: ${LDAP_SEEDED_AT}`,
  ];
  if (group.description) lines.push(`description: ${group.description}`);
  for (const member of group.members) lines.push(`${attribute}: ${member}`);
  return `${lines.join('\n')}\n\n`;
}

function personLdif(person: LdapPerson): string {
  const lines = [`dn: ${personDn(person)}`];
  for (const [name, value] of Object.entries(personAttributes(person))) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  lines.push(`modifyTimestamp: ${LDAP_SEEDED_AT}`);
  return `${lines.join('\n')}\n\n`;
}
