import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new bearer secret: `<kind>_` + 32 random bytes (base64url). Only its hash is stored. */
export function generateToken(kind: 'dsk' | 'scim'): {
  token: string;
  prefix: string;
  hash: string;
} {
  const token = `${kind}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix: token.slice(0, kind.length + 9), hash: hashToken(token) };
}

/** SHA-256, hex: a lookup key for high-entropy secrets (no salt needed, none to guess). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two strings of any length (compares their digests). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(
    createHash('sha256').update(a).digest(),
    createHash('sha256').update(b).digest(),
  );
}

/** The token of an `Authorization: Bearer <token>` header, if that is what was sent. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
