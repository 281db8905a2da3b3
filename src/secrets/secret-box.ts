import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors/app-error.ts';

const version = 'v1';
const ivBytes = 12;
const tagBytes = 16;

/**
 * Encrypts secrets at rest (forge tokens, webhook secrets, provider keys, masked variables)
 * with AES-256-GCM. Output: `v1.<iv>.<tag>.<ciphertext>`, base64url parts. `context` is bound as
 * additional authenticated data, so a value copied into another row or column does not decrypt.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new AppError('CONFIG_INVALID', 'The secret key must be 32 bytes');
    this.#key = key;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [version, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context: string): string {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== version || iv === undefined || tag === undefined || body === undefined) {
      throw new AppError('INTERNAL', 'A stored secret is not in a format this Baton can read');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), {
        authTagLength: tagBytes,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new AppError(
        'INTERNAL',
        'A stored secret could not be decrypted: the secret key changed or the value was altered',
        { cause: error },
      );
    }
  }
}

/**
 * The configured key, or the one in `<dataDir>/secret.key`, created (owner-only) when absent.
 * Losing that file makes stored tokens unreadable; back it up with the database.
 */
export function loadSecretKey(options: { configuredKey?: string; dataDir: string }): Buffer {
  if (options.configuredKey !== undefined) return Buffer.from(options.configuredKey, 'base64');
  const file = path.join(options.dataDir, 'secret.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) {
      throw new AppError('CONFIG_INVALID', `${file} does not hold a 32-byte base64 key`);
    }
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process wrote in the meantime.
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return loadSecretKey(options);
    }
    throw error;
  }
  return key;
}
