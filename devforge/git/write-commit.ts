import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { ObjectReader } from './object-reader.ts';
import { parseCommitObject, parseTreeObject } from './parse-git-objects.ts';
import {
  RepositoryError,
  type CommitAction,
  type CommitInfo,
  type GitIdentity,
  type RefUpdate,
} from './repository-store.ts';
import { runGit } from './run-git.ts';

export const zeroSha = '0'.repeat(40);

export interface WriteCommitOptions {
  branch: string;
  startBranch?: string;
  startSha?: string;
  message: string;
  actions: CommitAction[];
  author: GitIdentity;
  committer?: GitIdentity;
  /** Seconds since the epoch; tests pin it, callers use now. */
  time?: number;
}

interface Entry {
  mode: string;
  sha: string;
  type: 'blob' | 'tree' | 'commit';
}

interface Base {
  /** Null for the first commit of an empty repository or a new orphan branch. */
  parent: string | null;
  /** The branch's current tip, which update-ref must still find (zeros: must not exist yet). */
  expectedOld: string;
  entries: Map<string, Entry | null>;
}

const maxAttempts = 5;

/**
 * Commits without a work tree: blobs via hash-object, the tree via a throw-away index, the commit
 * object written byte for byte (so the returned CommitInfo is exactly what was stored), and the
 * branch moved with update-ref only if it still points where we started. A concurrent writer makes
 * that compare-and-swap fail; we then rebuild on the new tip, re-checking every action.
 */
export async function writeCommit(
  gitDir: string,
  options: WriteCommitOptions,
): Promise<{ commit: CommitInfo; update: RefUpdate }> {
  const scratch = await mkdtemp(join(tmpdir(), 'devforge-commit-'));
  try {
    const blobs = await writeBlobs(gitDir, scratch, options.actions);
    for (let attempt = 1; ; attempt++) {
      const base = await resolveBase(gitDir, options);
      const indexLines = planIndex(base.entries, options.actions, blobs);
      const tree = await buildTree(
        gitDir,
        join(scratch, `index-${attempt}`),
        base.parent,
        indexLines,
      );
      const { sha, content } = await writeCommitObject(gitDir, tree, base.parent, options);
      const ref = `refs/heads/${options.branch}`;
      try {
        await runGit(['update-ref', ref, sha, base.expectedOld], { gitDir });
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
        continue;
      }
      return {
        commit: parseCommitObject(sha, content),
        update: { ref, oldSha: base.expectedOld, newSha: sha },
      };
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** All new contents in one hash-object process; the key is the action's index. */
async function writeBlobs(
  gitDir: string,
  scratch: string,
  actions: readonly CommitAction[],
): Promise<Map<number, string>> {
  const files: { index: number; file: string }[] = [];
  await Promise.all(
    actions.map(async (action, index) => {
      if (action.action === 'delete' || action.action === 'chmod') return;
      if (action.content === undefined) return;
      const file = join(scratch, `blob-${index}`);
      files.push({ index, file });
      await writeFile(file, action.content);
    }),
  );
  const blobs = new Map<number, string>();
  if (files.length === 0) return blobs;
  files.sort((a, b) => a.index - b.index);
  const { stdout } = await runGit(['hash-object', '-w', '--no-filters', '--stdin-paths'], {
    gitDir,
    input: files.map(({ file }) => `${file}\n`).join(''),
  });
  const shas = stdout.toString('utf8').trim().split('\n');
  files.forEach(({ index }, position) => blobs.set(index, shas[position] ?? ''));
  return blobs;
}

function parentDirectory(filePath: string): string {
  const dir = posix.dirname(filePath);
  return dir === '.' ? '' : dir;
}

async function resolveBase(gitDir: string, options: WriteCommitOptions): Promise<Base> {
  const reader = new ObjectReader(gitDir);
  try {
    const branchTip = await reader.read(`refs/heads/${options.branch}^{commit}`);
    let parent: string | null = branchTip?.sha ?? null;
    if (!branchTip) {
      if (options.startSha !== undefined) {
        parent = (await reader.read(`${options.startSha}^{commit}`))?.sha ?? null;
        if (!parent) throw new RepositoryError('ref_not_found', 'Invalid start_sha');
      } else if (options.startBranch !== undefined) {
        parent = (await reader.read(`refs/heads/${options.startBranch}^{commit}`))?.sha ?? null;
        if (!parent) throw new RepositoryError('ref_not_found', 'Invalid start_branch');
      } else if (await reader.read('HEAD^{commit}')) {
        // Only an empty repository may gain a branch without saying where it starts.
        throw new RepositoryError(
          'branch_not_found',
          'You can only create or edit files when you are on a branch',
        );
      }
    }
    const entries = new Map<string, Entry | null>();
    if (parent) {
      const paths = options.actions.flatMap((action) =>
        action.action === 'move' ? [action.filePath, action.previousPath] : [action.filePath],
      );
      const directories = [...new Set(paths.map(parentDirectory))];
      const trees = await Promise.all(
        directories.map((dir) => reader.read(dir === '' ? `${parent}^{tree}` : `${parent}:${dir}`)),
      );
      directories.forEach((dir, position) => {
        const tree = trees[position];
        if (tree?.type !== 'tree') return;
        for (const entry of parseTreeObject(tree.content)) {
          entries.set(dir === '' ? entry.name : `${dir}/${entry.name}`, entry);
        }
      });
    }
    return { parent, expectedOld: branchTip?.sha ?? zeroSha, entries };
  } finally {
    await reader.close();
  }
}

/** Applies the actions in order to what the parent holds; returns `update-index -z --index-info` records. */
function planIndex(
  initial: ReadonlyMap<string, Entry | null>,
  actions: readonly CommitAction[],
  blobs: ReadonlyMap<number, string>,
): string[] {
  const state = new Map(initial);
  const existingBlob = (path: string): Entry => {
    const entry = state.get(path);
    if (!entry || entry.type !== 'blob') {
      throw new RepositoryError('file_not_found', `A file with this name doesn't exist: ${path}`);
    }
    return entry;
  };
  const mustBeAbsent = (path: string): void => {
    if (state.get(path)) {
      throw new RepositoryError('file_exists', `A file with this name already exists: ${path}`);
    }
  };
  const modeFor = (executable: boolean | undefined, previous: string): string =>
    executable === undefined ? previous : executable ? '100755' : '100644';
  const touched = new Set<string>();
  actions.forEach((action, index) => {
    const path = action.filePath;
    touched.add(path);
    switch (action.action) {
      case 'create':
        mustBeAbsent(path);
        state.set(path, {
          mode: modeFor(action.executeFilemode, '100644'),
          sha: blobs.get(index) ?? '',
          type: 'blob',
        });
        break;
      case 'update': {
        const previous = existingBlob(path);
        state.set(path, {
          mode: modeFor(action.executeFilemode, previous.mode),
          sha: blobs.get(index) ?? '',
          type: 'blob',
        });
        break;
      }
      case 'delete':
        existingBlob(path);
        state.set(path, null);
        break;
      case 'move': {
        const previous = existingBlob(action.previousPath);
        mustBeAbsent(path);
        touched.add(action.previousPath);
        state.set(action.previousPath, null);
        state.set(path, { ...previous, sha: blobs.get(index) ?? previous.sha });
        break;
      }
      case 'chmod': {
        const previous = existingBlob(path);
        state.set(path, { ...previous, mode: modeFor(action.executeFilemode, previous.mode) });
        break;
      }
    }
  });
  return [...touched].map((path) => {
    const entry = state.get(path);
    return entry ? `${entry.mode} ${entry.sha}\t${path}` : `0 ${zeroSha}\t${path}`;
  });
}

async function buildTree(
  gitDir: string,
  indexFile: string,
  parent: string | null,
  indexLines: readonly string[],
): Promise<string> {
  const env = { GIT_INDEX_FILE: indexFile };
  if (parent) await runGit(['read-tree', parent], { gitDir, env });
  if (indexLines.length > 0) {
    await runGit(['update-index', '-z', '--index-info'], {
      gitDir,
      env,
      input: indexLines.map((line) => `${line}\0`).join(''),
    });
  }
  const { stdout } = await runGit(['write-tree'], { gitDir, env });
  return stdout.toString('utf8').trim();
}

/** Identity text as git itself would accept it: no angle brackets, newlines or NULs. */
function identity(person: GitIdentity, time: number): string {
  const clean = (value: string): string => value.replace(/[<>\n\r\0]/g, '').trim();
  return `${clean(person.name)} <${clean(person.email)}> ${time} +0000`;
}

async function writeCommitObject(
  gitDir: string,
  tree: string,
  parent: string | null,
  options: WriteCommitOptions,
): Promise<{ sha: string; content: Buffer }> {
  const time = options.time ?? Math.floor(Date.now() / 1000);
  const message = options.message.replace(/\0/g, '');
  const lines = [`tree ${tree}`];
  if (parent) lines.push(`parent ${parent}`);
  lines.push(`author ${identity(options.author, time)}`);
  lines.push(`committer ${identity(options.committer ?? options.author, time)}`);
  // Stored as given, like GitLab's commits API: no newline appended.
  const content = Buffer.from(`${lines.join('\n')}\n\n${message}`, 'utf8');
  const { stdout } = await runGit(['hash-object', '-t', 'commit', '-w', '--stdin'], {
    gitDir,
    input: content,
  });
  return { sha: stdout.toString('utf8').trim(), content };
}
