import { spawn, type ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const batonBin = join(repositoryRoot, 'bin', 'baton.mjs');

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `baton start` as a separate process, the way an operator runs it. */
export interface BatonChild {
  readonly process: ChildProcess;
  /** The address from its "is running at" line. */
  readonly url: string;
  /** Resolves when the process has gone, however it went. */
  readonly exited: Promise<ChildExit>;
  /** Everything it wrote so far, stdout and stderr, for failure messages. */
  output(): string;
}

/**
 * Spawns `node bin/baton.mjs start` with exactly `env` (nothing inherited) and resolves once it
 * prints `Baton <version> is running at <url>`; rejects with its output if it exits first.
 */
export async function startBatonChild(env: Record<string, string>): Promise<BatonChild> {
  const child = spawn(process.execPath, [batonBin, 'start'], {
    cwd: repositoryRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      stdout += text;
      const match = /is running at (\S+) \(database: /.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('error', reject);
    void exited.then(({ code, signal }) => {
      reject(new Error(`baton start exited (${signal ?? code}) before listening:\n${output}`));
    });
  });
  return { process: child, url, exited, output: () => output };
}

/** Kills a child that may still run and waits until it has gone. */
export async function stopChild(child: BatonChild, signal: NodeJS.Signals): Promise<ChildExit> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill(signal);
  }
  return child.exited;
}

/**
 * Resolves with the run id once some run's log (`<dataDir>/runs/<id>/run.log`) holds a stdout
 * line equal to `line`. Driven by file-system events on the runs directory and each run's
 * directory; every event re-reads, so no write is missed between watching and reading.
 */
export async function waitForRunLogLine(dataDir: string, line: string): Promise<string> {
  const root = join(dataDir, 'runs');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const watchers = new Map<string, FSWatcher>();
  try {
    return await new Promise<string>((resolve, reject) => {
      let settled = false;
      const check = async (): Promise<void> => {
        for (const runId of await readdir(root)) {
          if (!watchers.has(runId)) {
            watchers.set(
              runId,
              watch(join(root, runId), () => void look()),
            );
          }
          if (hasStdoutLine(await readLog(join(root, runId, 'run.log')), line)) {
            settled = true;
            resolve(runId);
            return;
          }
        }
      };
      const look = (): Promise<void> =>
        settled
          ? Promise.resolve()
          : check().catch((error: unknown) => {
              settled = true;
              reject(error instanceof Error ? error : new Error(String(error)));
            });
      watchers.set(
        '',
        watch(root, () => void look()),
      );
      void look();
    });
  } finally {
    for (const watcher of watchers.values()) watcher.close();
  }
}

async function readLog(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function hasStdoutLine(log: string, line: string): boolean {
  for (const raw of log.split('\n')) {
    if (raw.trim() === '') continue;
    let entry: { stream?: unknown; text?: unknown };
    try {
      entry = JSON.parse(raw) as { stream?: unknown; text?: unknown };
    } catch {
      continue; // a line still being written
    }
    if (entry.stream === 'stdout' && typeof entry.text === 'string') {
      if (entry.text.split('\n').includes(line)) return true;
    }
  }
  return false;
}

/**
 * Resolves once the server has answered a request that `matches`, and `settled` (run after each
 * such answer) returns a value other than undefined. Observes the HTTP server's own `request`
 * events, so it works on a server that is already listening.
 */
export async function afterResponses<T>(
  server: Server,
  matches: (request: IncomingMessage) => boolean,
  settled: () => Promise<T | undefined>,
): Promise<T> {
  let onRequest: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      onRequest = (request, response) => {
        if (!matches(request)) return;
        response.once('finish', () => {
          settled().then((value) => {
            if (value !== undefined) resolve(value);
          }, reject);
        });
      };
      server.on('request', onRequest);
    });
  } finally {
    if (onRequest) server.off('request', onRequest);
  }
}
