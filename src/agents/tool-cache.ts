/**
 * Installs pinned agent CLIs from npm into a directory Baton owns and shares read-only with
 * sandboxes. Each `<package>@<version>` is installed once, into a temporary sibling that is
 * verified and then renamed into place, so a directory under its final name is always complete.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config-schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { InstalledTool, ToolSpec } from './agent-profile.ts';

export interface ToolCacheOptions {
  /** The cache root; created (0755) when missing. */
  dir: string;
  logger: Logger;
  /** PATH for npm and its lifecycle scripts (they need `node`). */
  searchPath?: string;
  /** npm's own download cache; default `~/.npm`, so repeated installs download nothing. */
  npmCacheDir?: string;
  /** The npm executable; default `npm` on `searchPath`. */
  npmCommand?: string;
  /** Kill npm after this long; default 10 minutes. */
  installTimeoutMs?: number;
  /**
   * How npm reaches the registry (`config.agents.registryEnvironment`: proxy and TLS-trust
   * variables); the only variables npm gets besides its own.
   */
  registryEnvironment?: Config['agents']['registryEnvironment'];
}

/** `config.agents.toolCacheDir`, or `<dataDir>/tools`. */
export function toolCacheDirFor(config: Pick<Config, 'dataDir' | 'agents'>): string {
  return config.agents.toolCacheDir ?? path.join(config.dataDir, 'tools');
}

const packageNamePattern = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const exactVersionPattern = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
]);
const markerFile = '.baton-tool.json';
const defaultPath = '/usr/local/bin:/usr/bin:/bin';
const stderrTailLines = 15;

/** `@anthropic-ai/claude-code` + `2.1.331` → `anthropic-ai+claude-code@2.1.331`. */
export function toolDirName(spec: ToolSpec): string {
  return `${spec.package.replace(/^@/, '').replace('/', '+')}@${spec.version}`;
}

function assertValidSpec(spec: ToolSpec): void {
  const binParts = spec.bin.split('/');
  if (
    !packageNamePattern.test(spec.package) ||
    !exactVersionPattern.test(spec.version) ||
    path.isAbsolute(spec.bin) ||
    binParts.some((part) => part === '..' || part === '' || part === '.')
  ) {
    throw new AppError('INTERNAL', 'Invalid tool specification', {
      details: { package: spec.package, version: spec.version, bin: spec.bin },
    });
  }
}

interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string[];
  timedOut: boolean;
  spawnError?: Error;
}

/** Runs a command with exactly the given environment, keeping stdout and the end of stderr. */
function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < 64 * 1024) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // Only the end matters for the error report; keep it bounded.
      stderr = (stderr + chunk).slice(-32 * 1024);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const stderrTail = stderr
        .split('\n')
        .map((line) => line.trimEnd())
        .filter((line) => line !== '')
        .slice(-stderrTailLines);
      resolve({ exitCode, signal, stdout, stderrTail, timedOut, spawnError });
    });
  });
}

/** The `npm error code XYZ` line npm prints on failure. */
function npmErrorCode(stderrTail: string[]): string | undefined {
  for (const line of stderrTail) {
    const match = /^npm (?:error|ERR!) code (\S+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** chmod a+rX,go-w on a whole tree, without following symlinks. */
async function makeReadableByOthers(root: string): Promise<void> {
  const info = await lstat(root);
  if (info.isSymbolicLink()) return;
  if (info.isDirectory()) {
    await chmod(root, (info.mode | 0o555) & 0o7755);
    const entries = await readdir(root);
    for (const entry of entries) await makeReadableByOthers(path.join(root, entry));
    return;
  }
  const executable = (info.mode & 0o111) !== 0;
  await chmod(root, (info.mode | 0o444 | (executable ? 0o111 : 0)) & 0o7755);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

export class ToolCache {
  readonly dir: string;
  readonly #logger: Logger;
  readonly #searchPath: string;
  readonly #npmCacheDir: string;
  readonly #npmCommand: string;
  readonly #installTimeoutMs: number;
  readonly #forwardedEnv: Record<string, string>;
  /** One install per tool in this process; callers share it. */
  readonly #pending = new Map<string, Promise<InstalledTool>>();

  constructor(options: ToolCacheOptions) {
    this.dir = path.resolve(options.dir);
    this.#logger = options.logger;
    this.#searchPath = options.searchPath ?? defaultPath;
    this.#npmCacheDir = options.npmCacheDir ?? path.join(os.homedir(), '.npm');
    this.#npmCommand = options.npmCommand ?? 'npm';
    this.#installTimeoutMs = options.installTimeoutMs ?? 10 * 60_000;
    this.#forwardedEnv = {};
    for (const [name, value] of Object.entries(options.registryEnvironment ?? {})) {
      if (value !== undefined && value !== '') this.#forwardedEnv[name] = value;
    }
  }

  /** Where a tool is (or would be) installed. */
  installDir(spec: ToolSpec): string {
    return path.join(this.dir, toolDirName(spec));
  }

  /** The installed tool, installing it first when it is not in the cache yet. */
  ensure(spec: ToolSpec): Promise<InstalledTool> {
    assertValidSpec(spec);
    const key = toolDirName(spec);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const promise = this.#ensureOnce(spec);
    this.#pending.set(key, promise);
    // A failed install is not remembered: the next caller tries again.
    promise.catch(() => this.#pending.delete(key));
    return promise;
  }

  #installed(spec: ToolSpec): InstalledTool {
    const dir = this.installDir(spec);
    return { spec, dir, bin: path.join(dir, spec.bin) };
  }

  async #ensureOnce(spec: ToolSpec): Promise<InstalledTool> {
    const tool = this.#installed(spec);
    // A directory under its final name only ever appears by rename after verification.
    if (await exists(path.join(tool.dir, markerFile))) return tool;
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    await chmod(this.dir, 0o755);
    await this.#removeAbandonedInstalls(spec);
    const staging = path.join(
      this.dir,
      `.tmp-${toolDirName(spec)}-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    try {
      await this.#install(spec, staging);
      await this.#verify(spec, staging);
      await writeFile(
        path.join(staging, markerFile),
        `${JSON.stringify({ ...spec, installedAt: new Date().toISOString() })}\n`,
      );
      await makeReadableByOthers(staging);
      try {
        await rename(staging, tool.dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another process finished the same install first; its copy is as good as ours.
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(tool.dir))) {
          this.#logger.info({ tool: toolDirName(spec) }, 'tool installed concurrently elsewhere');
        } else {
          throw error;
        }
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return tool;
  }

  /** Staging directories of processes that died mid-install. */
  async #removeAbandonedInstalls(spec: ToolSpec): Promise<void> {
    const prefix = `.tmp-${toolDirName(spec)}-`;
    for (const entry of await readdir(this.dir)) {
      if (!entry.startsWith(prefix)) continue;
      const pid = Number(entry.slice(prefix.length).split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && !processIsAlive(pid)) {
        await rm(path.join(this.dir, entry), { recursive: true, force: true });
      }
    }
  }

  #npmEnv(): Record<string, string> {
    // Built from nothing: npm and the packages' install scripts never see Baton's secrets.
    return {
      ...this.#forwardedEnv,
      PATH: this.#searchPath,
      HOME: os.homedir(),
      npm_config_cache: this.#npmCacheDir,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    };
  }

  async #install(spec: ToolSpec, staging: string): Promise<void> {
    const started = Date.now();
    const target = `${spec.package}@${spec.version}`;
    this.#logger.info({ tool: target, dir: this.dir }, 'installing agent CLI from npm');
    await mkdir(staging, { mode: 0o755 });
    const result = await runProcess(
      this.#npmCommand,
      [
        'install',
        '--prefix',
        staging,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        // Claude Code's and Opencode's postinstall put the native binary in place, and the
        // binary itself comes in an optional dependency: neither may be switched off by an npmrc.
        '--ignore-scripts=false',
        '--include=optional',
        '--prefer-offline',
        target,
      ],
      { cwd: staging, env: this.#npmEnv(), timeoutMs: this.#installTimeoutMs },
    );
    if (result.exitCode !== 0 || result.spawnError) {
      const code = npmErrorCode(result.stderrTail);
      const reason = result.spawnError
        ? `npm could not be started (${result.spawnError.message})`
        : result.timedOut
          ? `npm did not finish within ${Math.round(this.#installTimeoutMs / 1000)} s`
          : `npm exited with ${result.exitCode ?? result.signal ?? 'unknown'}`;
      throw new AppError(
        'DEPENDENCY_MISSING',
        `Cannot install ${target}: ${reason}. npm said:\n${result.stderrTail.join('\n')}`,
        {
          cause: result.spawnError,
          retryable: result.timedOut || (code !== undefined && networkErrorCodes.has(code)),
          details: {
            package: spec.package,
            version: spec.version,
            exitCode: result.exitCode,
            npmErrorCode: code,
            stderr: result.stderrTail,
          },
        },
      );
    }
    this.#logger.info(
      { tool: target, durationMs: Date.now() - started },
      'agent CLI installed; verifying',
    );
  }

  /** The CLI must run: a stub left by a skipped postinstall fails here, not in a run. */
  async #verify(spec: ToolSpec, staging: string): Promise<void> {
    const bin = path.join(staging, spec.bin);
    const home = await mkdtemp(path.join(os.tmpdir(), 'baton-tool-verify-'));
    try {
      const result = await runProcess(bin, ['--version'], {
        cwd: home,
        env: { PATH: this.#searchPath, HOME: home },
        timeoutMs: 60_000,
      });
      if (result.exitCode !== 0 || result.spawnError) {
        throw new AppError(
          'DEPENDENCY_MISSING',
          `${spec.package}@${spec.version} installed, but \`${spec.bin} --version\` failed ` +
            `(${result.spawnError?.message ?? `exit ${result.exitCode ?? result.signal ?? 'unknown'}`}). ` +
            `Were its install scripts skipped (npm ignore-scripts)? Output:\n` +
            result.stderrTail.join('\n'),
          {
            cause: result.spawnError,
            details: {
              package: spec.package,
              version: spec.version,
              bin: spec.bin,
              exitCode: result.exitCode,
              stderr: result.stderrTail,
            },
          },
        );
      }
      this.#logger.info(
        { tool: `${spec.package}@${spec.version}`, version: result.stdout.trim().slice(0, 100) },
        'agent CLI verified',
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
}
