import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../test/helpers/database.ts';
import { configSchema } from '../config/config-schema.ts';
import { openDatabase } from './open-database.ts';
import { SettingsRepository } from './settings-repository.ts';

const child = fileURLToPath(new URL('./__fixtures__/commit-and-hang.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('embedded database durability', () => {
  let dataDir = '';

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-durability-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a committed write, and drops an open transaction, after kill -9', async () => {
    const value = randomUUID();
    const childProcess = spawn(process.execPath, ['--import', 'tsx', child, dataDir, value], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
      childProcess.once('exit', (code, signal) => {
        resolve(signal ?? code);
      });
    });

    let stderr = '';
    childProcess.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      childProcess.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (stdout.includes('committed\n')) resolve();
      });
      childProcess.once('exit', (code) => {
        reject(new Error(`child exited (${code}) before committing:\n${stdout}\n${stderr}`));
      });
    });

    childProcess.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const database = await openDatabase({
      config: configSchema.parse({ dataDir }),
      logger: silentLogger(),
    });
    try {
      const settings = new SettingsRepository(database.db);
      expect(await settings.get('durability.committed')).toBe(value);
      expect(await settings.get('durability.uncommitted')).toBeUndefined();
    } finally {
      await database.close();
    }
  });
});
