import { BlockList, isIP } from 'node:net';

/**
 * Where provider traffic may not go unless DIRECTORY_ALLOW_PRIVATE_NETWORKS=true: loopback,
 * private, link-local, carrier-grade NAT, unspecified and multicast ranges. A tenant must not
 * be able to make the service call into its own network (SSRF).
 */
const PRIVATE_RANGES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '');
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mappedV4) return PRIVATE_RANGES.check(mappedV4, 'ipv4');
  const family = isIP(ip);
  if (family === 4) return PRIVATE_RANGES.check(ip, 'ipv4');
  if (family === 6) return PRIVATE_RANGES.check(ip, 'ipv6');
  return false;
}

/**
 * Why a configured provider URL is refused, or undefined when it is allowed. Checks what
 * can be known without DNS (scheme, `localhost`, IP literals); the HTTP client checks the
 * resolved address again on every request.
 */
export function providerUrlProblem(url: string, allowPrivate: boolean): string | undefined {
  let parsed: URL;
  let host: string;
  try {
    parsed = new URL(url);
    // Non-http schemes (ldap:) keep the host as written; parsing it as an https host applies
    // the same IPv4 normalisation the resolver does (2130706433, 0x7f.1 -> 127.0.0.1).
    host = new URL(`https://${parsed.host}`).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return 'must be a valid URL';
  }
  if (allowPrivate) return undefined;
  if (parsed.protocol === 'http:') {
    return 'must use https (plain http is allowed only with DIRECTORY_ALLOW_PRIVATE_NETWORKS=true)';
  }
  if (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)) {
    return 'points to a loopback or private address (allowed only with DIRECTORY_ALLOW_PRIVATE_NETWORKS=true)';
  }
  return undefined;
}
