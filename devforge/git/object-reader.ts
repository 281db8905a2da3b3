import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { RepositoryError } from './repository-store.ts';
import { gitBaseEnvironment } from './run-git.ts';

export interface GitObject {
  sha: string;
  type: 'blob' | 'tree' | 'commit' | 'tag';
  content: Buffer;
}

interface Pending {
  resolve: (object: GitObject | null) => void;
  reject: (error: unknown) => void;
}

/**
 * One `git cat-file --batch` process answering many object lookups, so a request that needs a
 * commit, a tree and a blob costs one spawn instead of three. Names are written to stdin, never
 * to argv, so no name can be taken for an option.
 */
export class ObjectReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private failure: RepositoryError | null = null;
  private readonly exited: Promise<void>;

  constructor(gitDir: string) {
    this.child = spawn('git', [`--git-dir=${gitDir}`, 'cat-file', '--batch'], {
      env: gitBaseEnvironment(),
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.fail(
          new RepositoryError('git_failed', 'git cat-file could not start', { cause: error }),
        );
        resolve();
      });
      this.child.on('close', () => {
        this.fail(new RepositoryError('git_failed', 'git cat-file exited early'));
        resolve();
      });
    });
  }

  /** `spec` is any object name cat-file accepts (`<sha>`, `<rev>^{commit}`, `<rev>:<path>`). */
  read(spec: string): Promise<GitObject | null> {
    if (spec.includes('\n')) return Promise.resolve(null);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${spec}\n`);
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }

  private drain(): void {
    for (;;) {
      const waiter = this.pending[0];
      if (!waiter) return;
      const lineEnd = this.buffer.indexOf(0x0a);
      if (lineEnd < 0) return;
      const header = this.buffer.subarray(0, lineEnd).toString('utf8');
      const match = /^([0-9a-f]{40,64}) (blob|tree|commit|tag) (\d+)$/.exec(header);
      if (!match) {
        // `<spec> missing` or `<spec> ambiguous`.
        this.buffer = this.buffer.subarray(lineEnd + 1);
        this.pending.shift();
        waiter.resolve(null);
        continue;
      }
      const size = Number(match[3]);
      const end = lineEnd + 1 + size;
      if (this.buffer.length < end + 1) return;
      const content = Buffer.from(this.buffer.subarray(lineEnd + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
      this.pending.shift();
      waiter.resolve({ sha: match[1] ?? '', type: match[2] as GitObject['type'], content });
    }
  }

  private fail(error: RepositoryError): void {
    this.failure ??= error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}

/** Reads independent objects with one process. */
export async function readObjects(
  gitDir: string,
  specs: readonly string[],
): Promise<(GitObject | null)[]> {
  const reader = new ObjectReader(gitDir);
  try {
    return await Promise.all(specs.map((spec) => reader.read(spec)));
  } finally {
    await reader.close();
  }
}
