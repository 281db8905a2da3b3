import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.ts';
import { loadConfig } from './load-config.ts';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'baton-config-'));
}

function configError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('gives safe defaults with no file and no environment', () => {
    const cwd = tempDir();
    const config = loadConfig({ env: {}, cwd });
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.port).toBe(8080);
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toBe(path.join(cwd, '.baton-data'));
    expect(config.admin.token).toBeUndefined();
  });

  it('reads baton.yaml from the working directory and lets the environment override it', () => {
    const cwd = tempDir();
    writeFileSync(
      path.join(cwd, 'baton.yaml'),
      'server:\n  port: 9000\n  host: 0.0.0.0\nlog:\n  level: debug\n',
    );
    const config = loadConfig({ env: { BATON_PORT: '9100' }, cwd });
    expect(config.server.port).toBe(9100);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.log.level).toBe('debug');
  });

  it('names the bad key and the environment variable it came from', () => {
    const error = configError(() => loadConfig({ env: { BATON_PORT: 'eighty' }, cwd: tempDir() }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('server.port (from BATON_PORT)');
  });

  it('names an unknown key in the file instead of ignoring it', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'baton.yaml'), 'server:\n  prot: 9000\n');
    const error = configError(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toContain('unknown key server.prot');
  });

  it('refuses a database URL that is not Postgres', () => {
    const error = configError(() =>
      loadConfig({ env: { DATABASE_URL: 'mysql://root@localhost/test' }, cwd: tempDir() }),
    );
    expect(error.message).toContain('database.url (from DATABASE_URL)');
  });

  it('refuses a short admin token rather than accepting a guessable one', () => {
    const error = configError(() =>
      loadConfig({ env: { BATON_ADMIN_TOKEN: 'changeme' }, cwd: tempDir() }),
    );
    expect(error.message).toContain('admin.token (from BATON_ADMIN_TOKEN)');
  });

  it('reports YAML syntax errors with the file name', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'baton.yaml'), 'server: [unclosed\n');
    const error = configError(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toContain('Invalid YAML in');
    expect(error.message).toContain('baton.yaml');
  });

  it('fails when an explicitly named file is missing', () => {
    const error = configError(() =>
      loadConfig({ env: { BATON_CONFIG: 'nope.yaml' }, cwd: tempDir() }),
    );
    expect(error.message).toContain('Cannot read configuration file');
  });
});
