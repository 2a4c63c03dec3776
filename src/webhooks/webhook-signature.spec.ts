import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { newSecret, signedHeaders } from './webhook-signature.js';

describe('webhook signatures', () => {
  it('makes secrets of 24 random bytes behind whsec_', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newSecret()).not.toBe(secret);
  });

  it('signs so that a receiver with either live secret verifies', () => {
    const [current, previous, other] = [newSecret(), newSecret(), newSecret()];
    const body = JSON.stringify({ id: 'e1', type: 'webhook.test', data: {} });
    const headers = signedHeaders([current, previous], 'e1', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(other).verify(body, { ...headers })).toThrow(/signature/);
    expect(() => new Webhook(current).verify(`${body} `, { ...headers })).toThrow(/signature/);
  });
});
