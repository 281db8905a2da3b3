/**
 * The tool cache against the real npm registry, with tiny packages: `mkdirp@3.0.1` (no
 * dependencies, a bin that answers `--version`) and `is-number@7.0.0` (no bin at all).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, registryEnvironmentFrom } from '../config/load-config.ts';
import { isAppError, type AppError } from '../errors/app-error.ts';
import { createLogger } from '../logging/logger.ts';
import type { ToolSpec } from './agent-profile.ts';
import { ToolCache, toolCacheDirFor, toolDirName } from './tool-cache.ts';

const mkdirp: ToolSpec = { package: 'mkdirp', version: '3.0.1', bin: 'node_modules/.bin/mkdirp' };
/** How this machine reaches the npm registry (a proxy, a private CA), as Baton's config has it. */
const registryEnvironment = registryEnvironmentFrom(process.env);
const logger = createLogger({ level: 'silent' });
const npmTimeout = 180_000;

const temporary: string[] = [];
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tool-cache-'));
  temporary.push(dir);
  return dir;
}

/**
 * An `npm` that logs each call, its environment, and whether the tool's final directory was
 * already visible while npm ran, then runs the real npm.
 */
async function recordingNpm(
  root: string,
  watchedDir: string,
): Promise<{ command: string; calls: () => Promise<string[]>; env: () => Promise<string> }> {
  const log = path.join(root, 'npm-calls.log');
  const envDump = path.join(root, 'npm-env.log');
  const command = path.join(root, 'npm');
  await writeFile(
    command,
    [
      '#!/bin/sh',
      `if [ -e '${watchedDir}' ]; then echo "visible-during-install" >> '${log}'; fi`,
      `echo "$*" >> '${log}'`,
      `env > '${envDump}'`,
      'exec npm "$@"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return {
    command,
    calls: async () =>
      (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => line !== ''),
    env: () => readFile(envDump, 'utf8'),
  };
}

async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.map((entry) => path.join(entry.parentPath, entry.name));
}

function caught(promise: Promise<unknown>): Promise<AppError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => {
      if (!isAppError(error)) throw error;
      return error;
    },
  );
}

describe('tool cache', () => {
  it(
    'installs a pinned package once, atomically, and reports a bin that runs',
    async () => {
      const root = await tempDir();
      const dir = path.join(root, 'tools');
      const npm = await recordingNpm(root, path.join(dir, toolDirName(mkdirp)));
      const cache = new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment });

      const tool = await cache.ensure(mkdirp);
      expect(tool).toEqual({
        spec: mkdirp,
        dir: path.join(dir, 'mkdirp@3.0.1'),
        bin: path.join(dir, 'mkdirp@3.0.1', 'node_modules/.bin/mkdirp'),
      });
      expect(execFileSync(tool.bin, ['--version'], { encoding: 'utf8' }).trim()).toBe('3.0.1');
      const calls = await npm.calls();
      // The wrapper would have logged "visible-during-install" first.
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatch(
        /^install --prefix \S+\/\.tmp-mkdirp@3\.0\.1-\d+-[0-9a-f]+ --no-save --no-audit --no-fund --no-package-lock --ignore-scripts=false --include=optional --prefer-offline mkdirp@3\.0\.1$/,
      );
      // Only the finished tool is there: no staging directory, no half install.
      expect(await readdir(dir)).toEqual(['mkdirp@3.0.1']);

      // A second ensure, from a new cache object (a restarted Baton), installs nothing.
      await new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment }).ensure(
        mkdirp,
      );
      expect(await npm.calls()).toHaveLength(1);
    },
    npmTimeout,
  );

  it(
    'shares one install between concurrent callers of one cache',
    async () => {
      const root = await tempDir();
      const dir = path.join(root, 'tools');
      const npm = await recordingNpm(root, path.join(dir, toolDirName(mkdirp)));
      const cache = new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment });

      const first = cache.ensure(mkdirp);
      const second = cache.ensure(mkdirp);
      expect(second).toBe(first);
      const tools = await Promise.all([first, second, cache.ensure(mkdirp)]);
      expect(new Set(tools.map((tool) => tool.bin)).size).toBe(1);
      expect(await npm.calls()).toHaveLength(1);
    },
    npmTimeout,
  );

  it(
    'survives two processes installing the same tool at once: one copy wins, nothing is left over',
    async () => {
      const root = await tempDir();
      const dir = path.join(root, 'tools');
      const npm = await recordingNpm(root, path.join(dir, toolDirName(mkdirp)));
      // Two cache objects stand for two Baton processes sharing the directory.
      const [one, two] = await Promise.all([
        new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment }).ensure(mkdirp),
        new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment }).ensure(mkdirp),
      ]);
      expect(one).toEqual(two);
      expect(await readdir(dir)).toEqual(['mkdirp@3.0.1']);
      expect(execFileSync(one.bin, ['--version'], { encoding: 'utf8' }).trim()).toBe('3.0.1');
    },
    npmTimeout,
  );

  it(
    'leaves the tree readable and traversable by every user, writable only by its owner',
    async () => {
      const dir = path.join(await tempDir(), 'tools');
      const tool = await new ToolCache({ dir, logger, registryEnvironment }).ensure(mkdirp);
      expect((await stat(dir)).mode & 0o777).toBe(0o755);
      for (const entry of [tool.dir, ...(await listTree(tool.dir))]) {
        const info = await stat(entry).catch(() => undefined); // dangling links do not matter
        if (!info) continue;
        expect(info.mode & 0o022, entry).toBe(0);
        expect(info.mode & 0o004, entry).toBe(0o004);
        if (info.isDirectory()) expect(info.mode & 0o001, entry).toBe(0o001);
      }
      expect((await stat(tool.bin)).mode & 0o005).toBe(0o005);
    },
    npmTimeout,
  );

  it(
    "gives npm no variable of Baton's own environment except how to reach the registry",
    async () => {
      const root = await tempDir();
      const dir = path.join(root, 'tools');
      const npm = await recordingNpm(root, path.join(dir, toolDirName(mkdirp)));
      // Baton's environment as configuration reads it: secrets, and how to reach the registry.
      const config = loadConfig({
        cwd: root,
        env: {
          ...process.env,
          GITLAB_TOKEN: 'glpat-must-not-reach-npm',
          ANTHROPIC_API_KEY: 'sk-ant-must-not-reach-npm',
          BATON_ADMIN_TOKEN: 'admin-token-must-not-reach-npm',
          HTTPS_PROXY: 'http://registry-proxy.internal:3128',
          NODE_EXTRA_CA_CERTS: '/etc/ssl/private-ca.pem',
        },
      });
      const cache = new ToolCache({
        dir,
        logger,
        npmCommand: npm.command,
        registryEnvironment: config.agents.registryEnvironment,
      });
      await cache.ensure(mkdirp);
      const env = await npm.env();
      expect(env).not.toContain('must-not-reach-npm');
      expect(env).toMatch(/^HTTPS_PROXY=http:\/\/registry-proxy\.internal:3128$/m);
      expect(env).toMatch(/^NODE_EXTRA_CA_CERTS=\/etc\/ssl\/private-ca\.pem$/m);
      expect(env).toMatch(/^PATH=/m);
      expect(env).toMatch(/^HOME=/m);
      expect(env).toMatch(/^npm_config_cache=/m);
      const names = env
        .split('\n')
        .map((line) => line.split('=')[0])
        .filter(
          (name): name is string =>
            name !== undefined && name !== '' && name !== 'PWD' && name !== 'SHLVL' && name !== '_',
        );
      expect(
        names.every((name) =>
          /^(PATH|HOME|npm_config_\w+|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|(HTTPS?|NO)_PROXY|(https?|no)_proxy)$/.test(
            name,
          ),
        ),
        names.join(' '),
      ).toBe(true);
    },
    npmTimeout,
  );

  it(
    "reports npm's failure with npm's own last lines, leaves nothing behind, and retries later",
    async () => {
      const root = await tempDir();
      const dir = path.join(root, 'tools');
      const missing: ToolSpec = {
        package: 'is-number',
        version: '999.999.999',
        bin: 'node_modules/.bin/x',
      };
      const npm = await recordingNpm(root, path.join(dir, toolDirName(missing)));
      const cache = new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment });

      const error = await caught(cache.ensure(missing));
      expect(error.code).toBe('DEPENDENCY_MISSING');
      expect(error.message).toContain('Cannot install is-number@999.999.999: npm exited with 1');
      expect(error.message).toMatch(/npm error code ETARGET/);
      expect(error.details).toMatchObject({
        package: 'is-number',
        npmErrorCode: 'ETARGET',
        exitCode: 1,
      });
      expect(error.retryable).toBe(false);
      expect(await readdir(dir)).toEqual([]);

      await caught(cache.ensure(missing));
      expect(await npm.calls()).toHaveLength(2);
    },
    npmTimeout,
  );

  it(
    'refuses an install whose bin does not run, and never puts it in place',
    async () => {
      const dir = path.join(await tempDir(), 'tools');
      const noBin: ToolSpec = {
        package: 'is-number',
        version: '7.0.0',
        bin: 'node_modules/.bin/is-number',
      };
      const error = await caught(new ToolCache({ dir, logger, registryEnvironment }).ensure(noBin));
      expect(error.code).toBe('DEPENDENCY_MISSING');
      expect(error.message).toContain(
        'is-number@7.0.0 installed, but `node_modules/.bin/is-number --version` failed',
      );
      expect(await readdir(dir)).toEqual([]);
    },
    npmTimeout,
  );

  it('refuses ranges, odd package names and bins outside the install before running npm', async () => {
    const dir = path.join(await tempDir(), 'tools');
    const npm = await recordingNpm(await tempDir(), path.join(dir, 'x'));
    const cache = new ToolCache({ dir, logger, npmCommand: npm.command, registryEnvironment });
    for (const spec of [
      { ...mkdirp, version: '^3.0.1' },
      { ...mkdirp, version: 'latest' },
      { ...mkdirp, package: '../mkdirp' },
      { ...mkdirp, package: 'mkdirp --registry=http://evil' },
      { ...mkdirp, bin: '../../bin/sh' },
      { ...mkdirp, bin: '/bin/sh' },
    ]) {
      expect(() => cache.ensure(spec), JSON.stringify(spec)).toThrow(
        expect.objectContaining({ code: 'INTERNAL' }) as Error,
      );
    }
    expect(await npm.calls()).toEqual([]);
  });

  it('defaults to <dataDir>/tools unless agents.toolCacheDir is set', () => {
    expect(
      toolCacheDirFor({
        dataDir: '/var/lib/baton',
        agents: { noteUpdateSeconds: 15, registryEnvironment: {} },
      }),
    ).toBe('/var/lib/baton/tools');
    expect(
      toolCacheDirFor({
        dataDir: '/var/lib/baton',
        agents: {
          noteUpdateSeconds: 15,
          registryEnvironment: {},
          toolCacheDir: '/opt/baton-tools',
        },
      }),
    ).toBe('/opt/baton-tools');
  });
});
