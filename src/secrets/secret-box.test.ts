import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, SecretBox } from './secret-box.ts';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a secret and never stores the plaintext', () => {
    const sealed = box.seal('glpat-very-secret', 'service_accounts.token:1');
    expect(sealed).not.toContain('glpat');
    expect(box.open(sealed, 'service_accounts.token:1')).toBe('glpat-very-secret');
  });

  it('refuses a value moved to another row (bound context)', () => {
    const sealed = box.seal('glpat-very-secret', 'service_accounts.token:1');
    expect(() => box.open(sealed, 'service_accounts.token:2')).toThrow(/could not be decrypted/);
  });

  it('refuses a tampered value', () => {
    const sealed = box.seal('hello', 'c');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => box.open(parts.join('.'), 'c')).toThrow(/could not be decrypted/);
  });

  it('cannot open with another key', () => {
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(box.seal('x', 'c'), 'c')).toThrow(/could not be decrypted/);
  });
});

describe('loadSecretKey', () => {
  it('creates an owner-only key file once and reads it back after', () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'baton-key-')), 'data');
    const first = loadSecretKey({ dataDir });
    const file = path.join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ dataDir }).equals(first)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64'));
  });

  it('prefers the configured key', () => {
    const key = randomBytes(32);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-key-'));
    expect(loadSecretKey({ dataDir, configuredKey: key.toString('base64') }).equals(key)).toBe(
      true,
    );
  });
});
