import { spawn } from 'node:child_process';
import { AppError } from '../../errors/app-error.ts';

/** Credentials for one forge URL, sent as an HTTP header and never written anywhere. */
export interface GitAuth {
  /** The repository URL (no credentials); the header is only sent to URLs under it. */
  url: string;
  token: string;
}

export interface GitRunOptions {
  cwd?: string;
  /** Extra environment, e.g. `GIT_AUTHOR_NAME`. */
  env?: Record<string, string>;
  auth?: GitAuth;
  input?: string;
  /** Exit codes that are answers rather than failures (e.g. 1 from `diff --quiet`). */
  okExitCodes?: readonly number[];
  timeoutMs?: number;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface GitRunnerOptions {
  /** An empty directory used as HOME, so no user configuration or credential file is read. */
  home: string;
  /** PATH for git; a fixed system path unless the caller knows better. */
  path?: string;
}

/** `Authorization: Basic base64(oauth2:<token>)`, which GitLab accepts for any token type. */
export function basicAuthHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`oauth2:${token}`).toString('base64')}`;
}

/**
 * Configuration every git process Baton starts is given, whatever repository it touches: no
 * hooks, no fsmonitor command, no credential helper, no `ext::` transport. Passed through
 * `GIT_CONFIG_COUNT` so it wins over repository configuration and never touches disk.
 */
function forcedConfig(auth: GitAuth | undefined): [string, string][] {
  const config: [string, string][] = [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['credential.helper', ''],
    ['protocol.ext.allow', 'never'],
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
  ];
  // Scoped to the repository URL so a redirect elsewhere never carries the token; in the
  // environment, not argv, because other users can read any process's argv.
  if (auth) config.push([`http.${auth.url}.extraHeader`, basicAuthHeader(auth.token)]);
  return config;
}

function gitEnvironment(runner: GitRunnerOptions, options: GitRunOptions): NodeJS.ProcessEnv {
  const config = forcedConfig(options.auth);
  const env: NodeJS.ProcessEnv = {
    PATH: runner.path ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: runner.home,
    XDG_CONFIG_HOME: runner.home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    GIT_CONFIG_COUNT: String(config.length),
    ...options.env,
  };
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

/** Runs git with an environment built from nothing; argv arrays only, never a shell. */
export class GitRunner {
  readonly #options: GitRunnerOptions;

  constructor(options: GitRunnerOptions) {
    this.#options = options;
  }

  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        // Never the server's own directory: git would discover and read any repository there.
        cwd: options.cwd ?? '/',
        env: gitEnvironment(this.#options, options),
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 600_000,
        killSignal: 'SIGKILL',
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.stdin.on('error', () => {
        // git may exit before reading its input; the exit code tells what happened.
      });
      child.on('error', (error) => {
        reject(new AppError('DEPENDENCY_MISSING', 'git could not be started', { cause: error }));
      });
      child.on('close', (code, signal) => {
        const result: GitResult = {
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          exitCode: code ?? -1,
        };
        if (result.exitCode === 0 || options.okExitCodes?.includes(result.exitCode)) {
          resolve(result);
          return;
        }
        reject(gitFailure(args, result, signal));
      });
      child.stdin.end(options.input ?? '');
    });
  }
}

/** Thrown for a git command that failed; `details` carries its exit code and stderr tail. */
export function gitFailure(
  args: readonly string[],
  result: GitResult,
  signal: NodeJS.Signals | null = null,
): AppError {
  const command = args.find((arg) => !arg.startsWith('-')) ?? 'git';
  return new AppError('INTERNAL', `git ${command} failed`, {
    details: {
      command,
      exitCode: result.exitCode,
      signal,
      stderr: result.stderr.slice(-2000),
    },
  });
}

export function isGitFailure(error: unknown): error is AppError & {
  details: { command: string; exitCode: number; stderr: string };
} {
  return (
    error instanceof AppError &&
    error.code === 'INTERNAL' &&
    typeof error.details?.command === 'string' &&
    typeof error.details.stderr === 'string'
  );
}
