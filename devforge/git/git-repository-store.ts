import { readFileSync } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { ObjectReader, readObjects } from './object-reader.ts';
import { parseCommitObject, parseTreeObject } from './parse-git-objects.ts';
import { parseGitDiff } from './parse-git-diff.ts';
import {
  RepositoryError,
  type BranchInfo,
  type CommitInfo,
  type FileBlob,
  type FileDiff,
  type RepositoryStore,
  type TreeEntry,
} from './repository-store.ts';
import { runGit } from './run-git.ts';
import {
  assertBranchName,
  assertFilePath,
  assertProjectPath,
  assertRevision,
} from './validate-repository-names.ts';
import { writeCommit, zeroSha } from './write-commit.ts';

const emptyTreeSha = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export function createGitRepositoryStore(options: { reposDir: string }): RepositoryStore {
  const reposDir = resolve(options.reposDir);

  const pathOf = (projectPath: string): string => {
    assertProjectPath(projectPath);
    return join(reposDir, `${projectPath}.git`);
  };

  const readCommit = async (gitDir: string, ref: string): Promise<CommitInfo | null> => {
    const [object] = await readObjects(gitDir, [`${ref}^{commit}`]);
    return object ? parseCommitObject(object.sha, object.content) : null;
  };

  const resolveCommit = async (projectPath: string, ref: string): Promise<string | null> => {
    assertRevision(ref);
    const { stdout, exitCode } = await runGit(
      ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
      { gitDir: pathOf(projectPath), okExitCodes: [1, 128] },
    );
    return exitCode === 0 ? stdout.toString('utf8').trim() : null;
  };

  // A file at a commit never changes: reads of the same file at the same commit (every mention
  // reads the flow file) are answered from memory instead of spawning git each time.
  const files = new Map<string, FileBlob | null>();
  const remember = (key: string, file: FileBlob | null): FileBlob | null => {
    if (files.size >= 2000) files.clear();
    files.set(key, file);
    return file;
  };

  const store: RepositoryStore = {
    pathOf,

    async create(projectPath, createOptions) {
      assertBranchName(createOptions.defaultBranch);
      const gitDir = pathOf(projectPath);
      const files = Object.entries(createOptions.files ?? {});
      for (const [filePath] of files) assertFilePath(filePath);
      if (await store.exists(projectPath)) {
        throw new RepositoryError('git_failed', 'Repository already exists');
      }
      await mkdir(gitDir, { recursive: true });
      await runGit(
        ['init', '--bare', '--quiet', `--initial-branch=${createOptions.defaultBranch}`],
        {
          gitDir,
        },
      );
      if (files.length === 0) return;
      await writeCommit(gitDir, {
        branch: createOptions.defaultBranch,
        message: 'Initial commit',
        author: createOptions.author,
        actions: files.map(([filePath, content]) => ({
          action: 'create',
          filePath,
          content: Buffer.from(content, 'utf8'),
        })),
      });
    },

    async remove(projectPath) {
      await rm(pathOf(projectPath), { recursive: true, force: true });
    },

    async exists(projectPath) {
      try {
        await access(join(pathOf(projectPath), 'HEAD'));
        return true;
      } catch {
        return false;
      }
    },

    async listBranches(projectPath) {
      const gitDir = pathOf(projectPath);
      const { stdout } = await runGit(
        ['for-each-ref', '--format=%(objectname) %(refname:strip=2)', 'refs/heads/'],
        { gitDir },
      );
      const refs = stdout
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => ({
          sha: line.slice(0, line.indexOf(' ')),
          name: line.slice(line.indexOf(' ') + 1),
        }));
      const objects = await readObjects(gitDir, [...new Set(refs.map((ref) => ref.sha))]);
      const commits = new Map<string, CommitInfo>();
      for (const object of objects) {
        if (object?.type === 'commit')
          commits.set(object.sha, parseCommitObject(object.sha, object.content));
      }
      return refs.flatMap((ref): BranchInfo[] => {
        const commit = commits.get(ref.sha);
        return commit ? [{ name: ref.name, commit }] : [];
      });
    },

    resolveCommit,

    async createBranch(projectPath, name, ref) {
      assertBranchName(name);
      assertRevision(ref);
      const gitDir = pathOf(projectPath);
      const [existing, target] = await readObjects(gitDir, [
        `refs/heads/${name}`,
        `${ref}^{commit}`,
      ]);
      if (existing) throw new RepositoryError('branch_exists', 'Branch already exists');
      if (!target) throw new RepositoryError('ref_not_found', 'Invalid reference name');
      try {
        await runGit(['update-ref', `refs/heads/${name}`, target.sha, zeroSha], { gitDir });
      } catch (error) {
        // The compare-and-swap against "absent" lost to a concurrent creation.
        throw new RepositoryError('branch_exists', 'Branch already exists', { cause: error });
      }
      return { name, commit: parseCommitObject(target.sha, target.content) };
    },

    async deleteBranch(projectPath, name) {
      assertBranchName(name);
      const gitDir = pathOf(projectPath);
      const sha = await resolveCommit(projectPath, `refs/heads/${name}`);
      if (!sha) throw new RepositoryError('branch_not_found', 'Branch Not Found');
      await runGit(['update-ref', '-d', `refs/heads/${name}`, sha], { gitDir });
    },

    async getCommit(projectPath, ref) {
      assertRevision(ref);
      return readCommit(pathOf(projectPath), ref);
    },

    async readFile(projectPath, ref, filePath) {
      assertRevision(ref);
      assertFilePath(filePath);
      const gitDir = pathOf(projectPath);
      const branchTip = looseBranchTip(gitDir, ref);
      const cached =
        branchTip === null ? undefined : files.get(`${gitDir}\0${branchTip}\0${filePath}`);
      if (cached !== undefined) return cached;
      const reader = new ObjectReader(gitDir);
      try {
        const commit = await reader.read(`${ref}^{commit}`);
        if (!commit) return null;
        const key = `${gitDir}\0${commit.sha}\0${filePath}`;
        const lastCommit = runGit(['log', '-1', '--format=%H', commit.sha, '--', filePath], {
          gitDir,
        });
        // Swallowed here, awaited below only if the file exists.
        lastCommit.catch(() => undefined);
        const dir = posix.dirname(filePath);
        const tree = await reader.read(
          dir === '.' ? `${commit.sha}^{tree}` : `${commit.sha}:${dir}`,
        );
        if (tree?.type !== 'tree') return remember(key, null);
        const fileName = posix.basename(filePath);
        const entry = parseTreeObject(tree.content).find((item) => item.name === fileName);
        if (entry?.type !== 'blob') return remember(key, null);
        const blob = await reader.read(entry.sha);
        if (!blob) return null;
        return remember(key, {
          fileName,
          filePath,
          size: blob.content.length,
          content: blob.content,
          blobId: blob.sha,
          commitId: commit.sha,
          lastCommitId: (await lastCommit).stdout.toString('utf8').trim(),
          executeFilemode: entry.mode === '100755',
        } satisfies FileBlob);
      } finally {
        await reader.close();
      }
    },

    async listTree(projectPath, ref, treeOptions) {
      assertRevision(ref);
      const dir = treeOptions.path?.replace(/\/+$/, '') ?? '';
      if (dir !== '') assertFilePath(dir);
      const gitDir = pathOf(projectPath);
      const treeish = dir === '' ? `${ref}^{tree}` : `${ref}:${dir}`;
      const args = [
        'ls-tree',
        '-z',
        ...(treeOptions.recursive ? ['-r', '-t'] : []),
        '--end-of-options',
        treeish,
      ];
      const { stdout, exitCode } = await runGit(args, { gitDir, okExitCodes: [128] });
      if (exitCode !== 0) {
        const commit = await resolveCommit(projectPath, ref);
        if (!commit) throw new RepositoryError('ref_not_found', 'Tree Not Found');
        throw new RepositoryError('path_not_found', 'Tree Not Found');
      }
      return stdout
        .toString('utf8')
        .split('\0')
        .flatMap((record): TreeEntry[] => {
          const match = /^(\d{6}) (tree|blob) ([0-9a-f]{40,64})\t(.*)$/s.exec(record);
          if (!match) return [];
          const relative = match[4] ?? '';
          return [
            {
              id: match[3] ?? '',
              name: posix.basename(relative),
              type: match[2] as TreeEntry['type'],
              path: dir === '' ? relative : `${dir}/${relative}`,
              mode: match[1] ?? '',
            },
          ];
        });
    },

    async commit(projectPath, commitOptions) {
      assertBranchName(commitOptions.branch);
      if (commitOptions.startBranch !== undefined) assertBranchName(commitOptions.startBranch);
      if (
        commitOptions.startSha !== undefined &&
        !/^[0-9a-f]{4,64}$/.test(commitOptions.startSha)
      ) {
        throw new RepositoryError('ref_not_found', 'Invalid start_sha');
      }
      for (const action of commitOptions.actions) {
        assertFilePath(action.filePath);
        if (action.action === 'move') assertFilePath(action.previousPath);
      }
      return writeCommit(pathOf(projectPath), commitOptions);
    },

    async diff(projectPath, baseRef, headRef): Promise<FileDiff[]> {
      assertRevision(baseRef);
      assertRevision(headRef);
      const gitDir = pathOf(projectPath);
      const [base, head] = await readObjects(gitDir, [
        `${baseRef}^{commit}`,
        `${headRef}^{commit}`,
      ]);
      if (!base || !head) throw new RepositoryError('ref_not_found', 'Invalid ref');
      const mergeBase = (await store.mergeBase(projectPath, base.sha, head.sha)) ?? emptyTreeSha;
      const { stdout } = await runGit(
        [
          'diff',
          '-z',
          '--raw',
          '--patch',
          '--no-abbrev',
          '--full-index',
          '--find-renames',
          '--no-color',
          '--no-ext-diff',
          '--no-textconv',
          mergeBase,
          head.sha,
        ],
        { gitDir },
      );
      return parseGitDiff(stdout);
    },

    async mergeBase(projectPath, a, b) {
      assertRevision(a);
      assertRevision(b);
      const { stdout, exitCode } = await runGit(['merge-base', '--end-of-options', a, b], {
        gitDir: pathOf(projectPath),
        okExitCodes: [1, 128],
      });
      return exitCode === 0 ? stdout.toString('utf8').trim() : null;
    },
  };
  return store;
}

/**
 * The tip of a branch from its loose ref file, without spawning git; null when not loose. Read
 * synchronously: 41 bytes, while `fs.promises.readFile` takes four thread-pool round trips (open,
 * stat, read, close) for every file read a benchmark's mentions make.
 */
function looseBranchTip(gitDir: string, ref: string): string | null {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  let text: string | null;
  try {
    text = readFileSync(join(gitDir, 'refs', 'heads', ref), 'utf8');
  } catch {
    text = null;
  }
  const sha = text?.trim() ?? '';
  return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
}
