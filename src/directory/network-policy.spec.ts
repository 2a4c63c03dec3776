import { describe, expect, it } from '@jest/globals';
import { classifyAddress, providerUrlProblem } from './network-policy.js';

describe('classifyAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.100.100.199',
    '0.0.0.0',
    '::',
    '::1',
    '[::1]',
    'fd00::1',
    'fc00::1',
    'fd00:ec2::253',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1',
  ])('%s is private', (address) => {
    expect(classifyAddress(address)).toBe('private');
  });

  it.each([
    '169.254.169.254',
    '169.254.0.1',
    '100.100.100.200',
    'fd00:ec2::254',
    '[fd00:ec2::254]',
    'fe80::1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
  ])('%s is forbidden (link-local or cloud metadata)', (address) => {
    expect(classifyAddress(address)).toBe('forbidden');
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBe('public');
    },
  );

  it('is public for host names (they are checked when resolved)', () => {
    expect(classifyAddress('acme.okta.com')).toBe('public');
  });
});

describe('providerUrlProblem', () => {
  const PRIVATE_NETWORKS = /DIRECTORY_ALLOW_PRIVATE_NETWORKS=true/;

  it.each([
    'https://acme.okta.com',
    'https://graph.microsoft.com/v1.0',
    'https://8.8.8.8',
    'https://[2606:4700::1111]',
    'ldaps://ldap.acme.com:636',
  ])('allows %s', (url) => {
    expect(providerUrlProblem(url, false)).toBeUndefined();
  });

  it('refuses plain http', () => {
    const problem = providerUrlProblem('http://acme.okta.com', false);
    expect(problem).toMatch(/must use https/);
    expect(problem).toMatch(PRIVATE_NETWORKS);
  });

  it.each([
    'https://127.0.0.1',
    'https://localhost',
    'https://LOCALHOST:8443',
    'https://api.localhost',
    'https://localhost.',
    'https://10.0.0.5',
    'https://192.168.0.10/path',
    'https://[::1]',
    'https://[::ffff:127.0.0.1]',
    'https://[fd12::1]',
    'https://0.0.0.0',
    // IPv4 spellings the URL parser normalises to 127.0.0.1
    'https://2130706433',
    'https://0x7f.0.0.1',
    'https://127.1',
    'ldap://localhost',
    'ldaps://127.0.0.1:636',
    'ldap://2130706433',
  ])('refuses %s', (url) => {
    const problem = providerUrlProblem(url, false);
    expect(problem).toMatch(/loopback or private/);
    expect(problem).toMatch(PRIVATE_NETWORKS);
  });

  it('reports a URL it cannot parse instead of throwing', () => {
    expect(providerUrlProblem('https://a:b:c', false)).toMatch(/valid URL/);
  });

  it('allows plain http and private addresses when DIRECTORY_ALLOW_PRIVATE_NETWORKS=true', () => {
    for (const url of ['http://127.0.0.1:8080', 'https://localhost', 'http://10.0.0.5']) {
      expect(providerUrlProblem(url, true)).toBeUndefined();
    }
  });

  it.each([
    'https://169.254.169.254/latest',
    'http://169.254.169.254/latest/meta-data',
    'https://[fd00:ec2::254]',
    'https://100.100.100.200',
    'https://[fe80::1]',
    'https://[::ffff:169.254.169.254]',
    'https://2852039166',
    'https://metadata.google.internal/computeMetadata/v1',
    'https://METADATA.google.internal.',
    'ldap://169.254.169.254',
  ])('refuses %s whatever the setting', (url) => {
    for (const allowPrivate of [false, true]) {
      expect(providerUrlProblem(url, allowPrivate)).toMatch(
        /link-local or cloud metadata address, which is never allowed/,
      );
    }
  });
});
