import { describe, expect, it } from '@jest/globals';
import { OVERLAP_MS, resumeTime, type DirectoryClock } from './ldap-feed.js';
import { generalizedTime, parseGeneralizedTime } from './ldap-time.js';
import { LdapProvider } from './ldap.provider.js';

const at = (iso: string) => Date.parse(iso);

describe('LDAP GeneralizedTime', () => {
  it("reads OpenLDAP's and Active Directory's stamps, fractions included", () => {
    expect(parseGeneralizedTime('20261130150405Z')).toBe(at('2026-11-30T15:04:05Z'));
    expect(parseGeneralizedTime('20261130150405.0Z')).toBe(at('2026-11-30T15:04:05Z'));
    expect(parseGeneralizedTime('20261130150405.25Z')).toBe(at('2026-11-30T15:04:05.250Z'));
  });

  it('refuses what is not a UTC time of the calendar', () => {
    for (const value of [
      undefined,
      '',
      'yesterday',
      '202611301504Z', // no seconds
      '20261130150405+0100', // not UTC
      '20261330150405Z', // month 13
      '20260230150405Z', // 30 February
      '20261130150461Z',
    ]) {
      expect(parseGeneralizedTime(value)).toBeUndefined();
    }
  });

  it('writes a time down to the second, rounded down, with AD\'s ".0" when asked', () => {
    const time = at('2026-11-30T15:04:05.999Z');
    expect(generalizedTime(time)).toBe('20261130150405Z');
    expect(generalizedTime(time, '.0')).toBe('20261130150405.0Z');
    expect(parseGeneralizedTime(generalizedTime(time))).toBe(at('2026-11-30T15:04:05Z'));
  });
});

describe('resumeTime: where the next cycle reads from, on the directory clock', () => {
  const openLdap: DirectoryClock = { attribute: 'modifyTimestamp', fraction: '' };
  const since = at('2026-11-30T10:00:00Z');

  it("is the server's own time less the overlap when the server tells it (AD)", () => {
    const serverTime = at('2026-11-30T12:00:00Z');
    const clock: DirectoryClock = { attribute: 'whenChanged', fraction: '.0', serverTime };
    // Stamps seen do not matter: the server's clock at the start of the reading bounds them.
    const latest = at('2026-11-30T11:59:59Z');
    expect(resumeTime({ since, clock, latest, elapsedMs: 90_000 })).toBe(serverTime - OVERLAP_MS);
  });

  it('is the latest stamp seen less the reading time and the overlap otherwise', () => {
    const latest = at('2026-11-30T11:00:00Z');
    // A change the paged search passed by during these 90 s is stamped after latest - 90 s.
    expect(resumeTime({ since, clock: openLdap, latest, elapsedMs: 90_000 })).toBe(
      latest - 90_000 - OVERLAP_MS,
    );
  });

  it('stays where it was when the reading saw nothing', () => {
    expect(resumeTime({ since, clock: openLdap, elapsedMs: 90_000 })).toBe(since);
  });
});

describe('LdapChangeFeed.unsupported', () => {
  const { feed } = new LdapProvider({ allowPrivateNetworks: true, timeoutMs: 1000 });
  const config = (userFilter?: string) => ({
    url: 'ldaps://ldap.acme.test',
    bindDN: 'cn=sync',
    bindPassword: 'x',
    baseDN: 'dc=acme,dc=test',
    ...(userFilter ? { userFilter } : {}),
  });

  it('accepts the default filter and filters on the entry itself', () => {
    expect(feed.unsupported(config())).toBeUndefined();
    expect(feed.unsupported(config('(&(objectClass=user)(description=memberOf))'))).toBeUndefined();
  });

  it('refuses a user filter on group membership: joining a group does not change the person', () => {
    for (const filter of [
      '(&(objectClass=user)(memberOf=cn=staff,dc=acme,dc=test))',
      '(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=cn=staff,dc=acme,dc=test))',
      '(&(objectClass=person)( isMemberOf =cn=staff,dc=acme,dc=test))',
    ]) {
      expect(feed.unsupported(config(filter))).toMatch(/group membership/);
    }
  });
});
