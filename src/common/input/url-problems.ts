import { isUtf8 } from 'node:buffer';

const PERCENT = 0x25;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/** The bytes a URL part stands for once its %XX escapes are decoded (a stray `%` stays). */
function percentDecoded(part: string): { bytes: Buffer; malformed: boolean } {
  // Node refuses raw non-ASCII bytes in a request line: a URL is ASCII, one char per byte.
  const raw = Buffer.from(part, 'latin1');
  const out = Buffer.alloc(raw.length);
  let length = 0;
  let malformed = false;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== PERCENT) {
      out[length++] = raw[i];
      continue;
    }
    const hex = raw.toString('latin1', i + 1, i + 3);
    if (HEX_PAIR.test(hex)) {
      out[length++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[length++] = PERCENT;
      malformed = true;
    }
  }
  return { bytes: out.subarray(0, length), malformed };
}

/**
 * What is wrong with a request's URL (`originalUrl`), if anything: the path and the query
 * must be UTF-8 once percent-decoded (Express would otherwise turn bad bytes into U+FFFD, or
 * answer a parser message), and the path must not carry NUL (a route parameter reaching
 * Postgres). A NUL in a query parameter is found later, by name, with the parsed query.
 */
export function urlProblem(url: string): string | undefined {
  const mark = url.indexOf('?');
  const path = percentDecoded(mark === -1 ? url : url.slice(0, mark));
  if (path.malformed) return 'the URL path has a malformed percent-escape';
  if (!isUtf8(path.bytes)) return 'the URL path is not valid UTF-8 once percent-decoded';
  if (path.bytes.includes(0)) return 'the URL path must not contain NUL characters (%00)';
  // A stray `%` in the query is kept as is by the query parser (and its parameter validated).
  const query = mark === -1 ? undefined : percentDecoded(url.slice(mark + 1));
  if (query && !isUtf8(query.bytes)) {
    return 'the query string is not valid UTF-8 once percent-decoded';
  }
  return undefined;
}
