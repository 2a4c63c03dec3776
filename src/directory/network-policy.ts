import { BlockList, isIP } from 'node:net';

/**
 * Where provider (and webhook) traffic may go. Two kinds of address are refused:
 * - **forbidden**, always: link-local ranges and the cloud metadata services (AWS, GCP, Azure
 *   169.254.169.254, AWS fd00:ec2::254, Alibaba 100.100.100.200). They hand out the
 *   instance's own credentials; no directory lives there.
 * - **private**, unless DIRECTORY_ALLOW_PRIVATE_NETWORKS=true: loopback, private, carrier-grade
 *   NAT, unspecified and multicast ranges. The flag exists for self-hosted LDAP and test
 *   servers; without it a tenant could make the service call into its own network (SSRF).
 */
function blockList(ipv4: [string, number][], ipv6: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ipv4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of ipv6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

const FORBIDDEN_RANGES = blockList(
  [
    ['169.254.0.0', 16],
    ['100.100.100.200', 32],
  ],
  [
    ['fe80::', 10],
    ['fd00:ec2::254', 128],
  ],
);

const PRIVATE_RANGES = blockList(
  [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ],
  [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['ff00::', 8],
  ],
);

/** Host names of metadata services (they resolve to a forbidden address where they exist). */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog']);

export type AddressClass = 'public' | 'private' | 'forbidden';

/** An IP literal's class; host names are `public` here (they are checked when resolved). */
export function classifyAddress(address: string): AddressClass {
  const ip = address.replace(/^\[|\]$/g, '');
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const family = mappedV4 ? 'ipv4' : ({ 4: 'ipv4', 6: 'ipv6' } as const)[isIP(ip) as 4 | 6];
  if (!family) return 'public';
  const literal = mappedV4 ?? ip;
  if (FORBIDDEN_RANGES.check(literal, family)) return 'forbidden';
  return PRIVATE_RANGES.check(literal, family) ? 'private' : 'public';
}

/** Why traffic to this class of address is refused (completes "… is/points to …"). */
export function addressRefusal(kind: AddressClass, allowPrivate: boolean): string | undefined {
  if (kind === 'forbidden') return 'a link-local or cloud metadata address, which is never allowed';
  if (kind === 'private' && !allowPrivate) {
    return 'a loopback or private address (allowed only with DIRECTORY_ALLOW_PRIVATE_NETWORKS=true)';
  }
  return undefined;
}

/**
 * Why a configured provider URL is refused, or undefined when it is allowed. Checks what
 * can be known without DNS (scheme, `localhost`, metadata names, IP literals); the HTTP
 * client checks the resolved address again on every request.
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
  const kind = METADATA_HOSTS.has(host)
    ? 'forbidden'
    : host === 'localhost' || host.endsWith('.localhost')
      ? 'private'
      : classifyAddress(host);
  if (parsed.protocol === 'http:' && !allowPrivate && kind !== 'forbidden') {
    return 'must use https (plain http is allowed only with DIRECTORY_ALLOW_PRIVATE_NETWORKS=true)';
  }
  const refusal = addressRefusal(kind, allowPrivate);
  return refusal && `points to ${refusal}`;
}
