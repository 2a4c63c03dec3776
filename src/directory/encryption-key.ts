import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AppConfig } from '../config/config.schema.js';

/**
 * `ENCRYPTION_KEY` when set (always in production: the config schema insists). Otherwise a
 * key generated once into `DATA_DIR/encryption.key`, so a local setup needs no step, and
 * the configs stay readable across restarts.
 */
export async function resolveEncryptionKey(
  config: Pick<AppConfig, 'encryptionKey' | 'dataDir'>,
  log: (message: string) => void,
): Promise<Buffer> {
  if (config.encryptionKey) return config.encryptionKey;
  const file = resolve(config.dataDir, 'encryption.key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  log(`Generated an encryption key in ${file} (set ENCRYPTION_KEY in production)`);
  return key;
}
