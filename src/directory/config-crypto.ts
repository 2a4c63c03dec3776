import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for connection configs at rest. Layout: version (1) | iv (12) | tag (16) |
 * ciphertext. The row id is the associated data, so a blob copied onto another row does not
 * decrypt. A previous key is tried after the current one, which lets an operator rotate
 * `ENCRYPTION_KEY` without downtime (rows are re-encrypted with the current key on write).
 */
export class ConfigCrypto {
  constructor(
    private readonly key: Buffer,
    private readonly previousKey?: Buffer,
  ) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  }

  encrypt(config: object, rowId: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(rowId));
    const body = Buffer.concat([cipher.update(JSON.stringify(config), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
  }

  decrypt(blob: Buffer, rowId: string): Record<string, unknown> {
    if (blob[0] !== FORMAT_V1 || blob.length < 1 + IV_BYTES + TAG_BYTES) {
      throw new Error('unknown encrypted config format');
    }
    for (const key of [this.key, this.previousKey]) {
      if (!key) continue;
      try {
        return JSON.parse(decryptWith(key, blob, rowId)) as Record<string, unknown>;
      } catch {
        // wrong key (or tampered data): try the next one
      }
    }
    throw new Error('the connection config cannot be decrypted with ENCRYPTION_KEY');
  }
}

function decryptWith(key: Buffer, blob: Buffer, rowId: string): string {
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(rowId));
  decipher.setAuthTag(tag);
  const body = blob.subarray(1 + IV_BYTES + TAG_BYTES);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}
