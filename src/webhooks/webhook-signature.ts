import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com), with the specification's own
 * reference package, so what we send is what its verifiers (and every receiver that uses
 * them) accept. docs/webhooks.md says why the package rather than our own HMAC.
 */

/** A signing secret: `whsec_` and the base64 of 24 random bytes, as the specification has it. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The headers of one attempt: `webhook-id` (the event's id, the same on every retry), the
 * attempt's time, and one `v1,<signature>` per live secret, space-separated (two while a
 * rotated secret keeps signing), so a receiver with either secret verifies it.
 */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  at: Date,
  body: string,
): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}
