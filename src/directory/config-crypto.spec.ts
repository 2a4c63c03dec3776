import { describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { ConfigCrypto } from './config-crypto.js';

const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);
const SECRET = 'super-secret-api-token-0123456789';
const CONFIG = { orgUrl: 'https://acme.okta.com', apiToken: SECRET };

describe('ConfigCrypto', () => {
  it('decrypts what it encrypted', () => {
    const crypto = new ConfigCrypto(KEY_A);
    const id = randomUUID();
    expect(crypto.decrypt(crypto.encrypt(CONFIG, id), id)).toEqual(CONFIG);
  });

  it('does not contain the plaintext', () => {
    const blob = new ConfigCrypto(KEY_A).encrypt(CONFIG, randomUUID());
    expect(blob.includes(Buffer.from(SECRET))).toBe(false);
    expect(blob.toString('latin1')).not.toContain('acme.okta.com');
  });

  it('uses a random IV: two encryptions of the same config differ', () => {
    const crypto = new ConfigCrypto(KEY_A);
    const id = randomUUID();
    const first = crypto.encrypt(CONFIG, id);
    const second = crypto.encrypt(CONFIG, id);
    expect(first.equals(second)).toBe(false);
    // the IV (bytes 1..12) differs, not only the tag or body
    expect(first.subarray(1, 13).equals(second.subarray(1, 13))).toBe(false);
    expect(crypto.decrypt(first, id)).toEqual(crypto.decrypt(second, id));
  });

  it('binds the row id as associated data: another id does not decrypt', () => {
    const crypto = new ConfigCrypto(KEY_A);
    const blob = crypto.encrypt(CONFIG, randomUUID());
    expect(() => crypto.decrypt(blob, randomUUID())).toThrow();
  });

  it('detects tampering with any part of the blob', () => {
    const crypto = new ConfigCrypto(KEY_A);
    const id = randomUUID();
    const blob = crypto.encrypt(CONFIG, id);
    // version byte, an IV byte, a tag byte, a ciphertext byte
    for (const index of [0, 5, 20, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[index] ^= 0x01;
      expect(() => crypto.decrypt(tampered, id)).toThrow();
    }
  });

  it('rejects a truncated blob', () => {
    const crypto = new ConfigCrypto(KEY_A);
    const id = randomUUID();
    const blob = crypto.encrypt(CONFIG, id);
    expect(() => crypto.decrypt(blob.subarray(0, 20), id)).toThrow();
    expect(() => crypto.decrypt(Buffer.alloc(0), id)).toThrow();
  });

  it('accepts the previous key for decryption (rotation)', () => {
    const id = randomUUID();
    const blob = new ConfigCrypto(KEY_A).encrypt(CONFIG, id);
    const rotated = new ConfigCrypto(KEY_B, KEY_A);
    expect(rotated.decrypt(blob, id)).toEqual(CONFIG);
    // and new writes use the current key: readable with B alone, not with A alone
    const rewritten = rotated.encrypt(CONFIG, id);
    expect(new ConfigCrypto(KEY_B).decrypt(rewritten, id)).toEqual(CONFIG);
    expect(() => new ConfigCrypto(KEY_A).decrypt(rewritten, id)).toThrow();
  });

  it('refuses a wrong key with a message that does not reveal the plaintext', () => {
    const id = randomUUID();
    const blob = new ConfigCrypto(KEY_A).encrypt(CONFIG, id);
    let error: unknown;
    try {
      new ConfigCrypto(KEY_B, randomBytes(32)).decrypt(blob, id);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/cannot be decrypted/);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('okta');
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new ConfigCrypto(Buffer.alloc(31))).toThrow(/32 bytes/);
    expect(() => new ConfigCrypto(Buffer.alloc(33))).toThrow(/32 bytes/);
    expect(() => new ConfigCrypto(Buffer.alloc(0))).toThrow(/32 bytes/);
  });
});
