import { describe, expect, it } from '@jest/globals';
import { canonicalDn, nextRange, parseDn, rdnFilter, withoutOptionalUid } from './ldap-dn.js';

const canonical = (dn: string) => canonicalDn(parseDn(dn)!);

describe('parseDn', () => {
  it('splits RDNs and multi-valued RDNs, and unescapes values', () => {
    expect(parseDn('uid=alice,ou=people,dc=acme,dc=test')).toEqual([
      [{ type: 'uid', value: 'alice' }],
      [{ type: 'ou', value: 'people' }],
      [{ type: 'dc', value: 'acme' }],
      [{ type: 'dc', value: 'test' }],
    ]);
    expect(parseDn('cn=Smith\\, John+uid=js,ou=x')).toEqual([
      [
        { type: 'cn', value: 'Smith, John' },
        { type: 'uid', value: 'js' },
      ],
      [{ type: 'ou', value: 'x' }],
    ]);
    expect(parseDn('cn=J\\C3\\BCrgen,ou=x')?.[0][0].value).toBe('Jürgen');
    expect(parseDn('cn=Jürgen,ou=x')?.[0][0].value).toBe('Jürgen');
    expect(parseDn('cn=trailing\\ ,ou=x')?.[0][0].value).toBe('trailing ');
  });

  it('refuses what is not a DN', () => {
    expect(parseDn('')).toBeUndefined();
    expect(parseDn('alice')).toBeUndefined();
    expect(parseDn('uid=alice,,dc=x')).toBeUndefined();
    expect(parseDn('uid=alice\\')).toBeUndefined();
  });
});

describe('canonicalDn', () => {
  it('ignores case, spacing, escaping style and AVA order', () => {
    expect(canonical('UID=Alice, OU=People,dc=acme')).toBe(
      canonical('uid=alice,ou=people,DC=Acme'),
    );
    expect(canonical('cn=a\\2cb,dc=x')).toBe(canonical('cn=a\\,b,dc=x'));
    expect(canonical('cn=a+uid=b,dc=x')).toBe(canonical('uid=b+cn=a,dc=x'));
    expect(canonical('uid=alice,dc=x')).not.toBe(canonical('uid=alice,dc=y'));
  });
});

describe('rdnFilter', () => {
  it('matches the naming attributes, with filter characters escaped', () => {
    expect(rdnFilter(parseDn('uid=a*(b),dc=x')![0])).toBe('(uid=a\\2a\\28b\\29)');
    expect(rdnFilter(parseDn('cn=a+uid=b,dc=x')![0])).toBe('(&(cn=a)(uid=b))');
  });
});

describe('member values', () => {
  it('drops the optional UID of a uniqueMember', () => {
    expect(withoutOptionalUid("uid=a,dc=x#'0101'B")).toBe('uid=a,dc=x');
    expect(withoutOptionalUid('uid=a#b,dc=x')).toBe('uid=a#b,dc=x');
  });

  it("follows Active Directory's ranged retrieval to the last range", () => {
    expect(nextRange('member;range=0-1499')).toBe('member;range=1500-*');
    expect(nextRange('member;range=1500-*')).toBeUndefined();
    expect(nextRange('member')).toBeUndefined();
  });
});
