import { ScimException } from './scim-error.js';

/** meta.version and the ETag header: a counter bumped by every change of the resource. */
export const etag = (version: number) => `W/"${version}"`;

/**
 * `If-Match` on a write (RFC 7644 §3.14): the change happens only if one of the listed tags,
 * or `*`, matches the current version; 412 otherwise. Compared weakly, as SCIM's examples
 * send weak tags.
 */
export function checkIfMatch(header: string | undefined, version: number): void {
  if (header === undefined) return;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const current = opaque(etag(version));
  const tags = header.split(',').map(opaque);
  if (tags.includes('*') || tags.includes(current)) return;
  throw new ScimException(
    412,
    `the resource has changed: its version is ${etag(version)}, If-Match asked for ${header}`,
  );
}
