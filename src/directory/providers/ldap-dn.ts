import { Filter } from 'ldapts';

/** A descriptor (`uid`) or a numeric OID (`2.5.4.3`). */
const ATTRIBUTE_TYPE = /^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)$/;

/** One attribute-value assertion of an RDN: `uid=alice`. */
export interface Ava {
  type: string;
  value: string;
}

/** A DN as its RDNs, most specific first; each RDN is one or more AVAs (`cn=a+uid=b`). */
export type ParsedDn = Ava[][];

/**
 * Parses a DN string (RFC 4514): `,` (or the older `;`) separates RDNs, `+` the AVAs of a
 * multi-valued RDN; `\` escapes a special character or gives a byte as two hex digits.
 * Undefined when it is not a DN. `#`-hex values are kept as written.
 */
export function parseDn(dn: string): ParsedDn | undefined {
  const rdns: ParsedDn = [];
  let rdn: Ava[] = [];
  let type = '';
  let value: number[] = [];
  let inValue = false;
  /** Trailing spaces of a value are dropped unless escaped: the length that must stay. */
  let escapedUpTo = 0;
  const endAva = (): boolean => {
    if (!inValue || !ATTRIBUTE_TYPE.test(type.trim())) return false;
    const length = Math.max(escapedUpTo, trimmedLength(value));
    rdn.push({ type: type.trim(), value: Buffer.from(value.slice(0, length)).toString('utf8') });
    type = '';
    value = [];
    inValue = false;
    escapedUpTo = 0;
    return true;
  };
  const bytes = Buffer.from(dn, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const char = String.fromCharCode(bytes[i]);
    if (!inValue) {
      if (char === '=') inValue = true;
      else type += char;
    } else if (char === '\\') {
      const pair = bytes.subarray(i + 1, i + 3).toString('latin1');
      if (/^[0-9a-fA-F]{2}$/.test(pair)) {
        value.push(parseInt(pair, 16));
        i += 2;
      } else if (i + 1 < bytes.length) {
        value.push(bytes[++i]);
      } else {
        return undefined;
      }
      escapedUpTo = value.length;
    } else if (char === '+' || char === ',' || char === ';') {
      if (!endAva()) return undefined;
      if (char !== '+') {
        rdns.push(rdn);
        rdn = [];
      }
    } else if (char !== ' ' || value.length > 0) {
      // Leading spaces of a value are not part of it.
      value.push(bytes[i]);
    }
  }
  if (!endAva()) return undefined;
  rdns.push(rdn);
  return rdns;
}

function trimmedLength(bytes: number[]): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0x20) end--;
  return end;
}

/**
 * A DN in one spelling for comparison: attribute types and values lower-cased (the naming
 * attributes of people — uid, cn, ou, dc — match ignoring case), the AVAs of an RDN sorted,
 * spacing and escaping normalised.
 */
export function canonicalDn(dn: ParsedDn): string {
  return dn
    .map((rdn) =>
      rdn
        .map(({ type, value }) => `${type.toLowerCase()}=${JSON.stringify(value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** A filter matching the entries whose naming attributes equal this RDN's: `(uid=alice)`. */
export function rdnFilter(rdn: Ava[]): string {
  const parts = rdn.map(({ type, value }) => `(${type}=${Filter.escape(value)})`);
  return parts.length === 1 ? parts[0] : `(&${parts.join('')})`;
}

/**
 * A `uniqueMember` value is a DN optionally followed by `#` and a bit string (`#'0101'B`, the
 * RFC 4517 Name and Optional UID syntax); the DN alone.
 */
export function withoutOptionalUid(value: string): string {
  return value.replace(/#'[01]*'B$/, '');
}

/**
 * Active Directory answers a large multi-valued attribute a range at a time (`member;range=
 * 0-1499`); the attribute to ask for next (`member;range=1500-*`), or undefined after the
 * last range (`member;range=1500-*`) or for a plain attribute.
 */
export function nextRange(key: string): string | undefined {
  const match = /^([^;]+);range=(\d+)-(\d+|\*)$/i.exec(key);
  if (!match || match[3] === '*') return undefined;
  return `${match[1]};range=${Number(match[3]) + 1}-*`;
}

/** The attribute a (possibly ranged) key of an entry is: `member;range=0-1499` -> `member`. */
export function baseAttribute(key: string): string {
  return key.split(';')[0];
}
