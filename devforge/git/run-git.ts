import { spawn } from 'node:child_process';
import { RepositoryError } from './repository-store.ts';

export interface GitRunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

export interface GitRunOptions {
  gitDir: string;
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-base`). */
  okExitCodes?: readonly number[];
}

/**
 * The environment every server-side git process starts from. Built from nothing so that the
 * operator's own git configuration, hooks and credentials never change what the forge does, and
 * the server's secrets never reach a hook.
 */
export function gitBaseEnvironment(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // File paths come from API callers; a path such as `:(glob)*` must mean itself.
    GIT_LITERAL_PATHSPECS: '1',
  };
}

/** Runs `git --git-dir=<gitDir> <args>`; rejects with RepositoryError('git_failed') on failure. */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${options.gitDir}`, ...args], {
      env: { ...gitBaseEnvironment(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      reject(
        new RepositoryError('git_failed', `git ${args[0] ?? ''} could not start`, { cause: error }),
      );
    });
    child.on('close', (code) => {
      const result: GitRunResult = {
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code ?? -1,
      };
      if (result.exitCode === 0 || options.okExitCodes?.includes(result.exitCode)) {
        resolve(result);
        return;
      }
      reject(
        new RepositoryError(
          'git_failed',
          `git ${args[0] ?? ''} failed (${result.exitCode}): ${result.stderr.trim()}`,
        ),
      );
    });
    // A child that exits before reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}
