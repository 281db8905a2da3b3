import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitRepositoryStore } from './git-repository-store.ts';
import { RepositoryError, type RepositoryStore } from './repository-store.ts';

const author = { name: 'Ada Lovelace', email: 'ada@example.test' };
const project = 'group/sub/project';

let reposDir: string;
let store: RepositoryStore;

beforeEach(async () => {
  reposDir = await mkdtemp(join(tmpdir(), 'devforge-store-'));
  store = createGitRepositoryStore({ reposDir });
  await store.create(project, {
    defaultBranch: 'main',
    author,
    files: { 'README.md': '# hello\n', 'src/app.ts': 'export {};\n', 'src/lib/util.ts': 'u\n' },
  });
});

afterEach(async () => {
  await rm(reposDir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: RepositoryError['code']) {
  await expect(promise).rejects.toSatisfy(
    (error: unknown) => error instanceof RepositoryError && error.code === code,
  );
}

describe('git repository store', () => {
  it('creates a bare repository at <reposDir>/<path>.git with an initial commit', async () => {
    expect(store.pathOf(project)).toBe(join(reposDir, 'group/sub/project.git'));
    expect(await store.exists(project)).toBe(true);
    expect(await store.exists('group/other')).toBe(false);
    const branches = await store.listBranches(project);
    expect(branches.map((branch) => branch.name)).toEqual(['main']);
    const commit = branches[0]?.commit;
    expect(commit).toMatchObject({
      title: 'Initial commit',
      authorName: 'Ada Lovelace',
      authorEmail: 'ada@example.test',
      parentIds: [],
    });
    expect(commit?.id).toMatch(/^[0-9a-f]{40}$/);
    expect(commit?.shortId).toBe(commit?.id.slice(0, 8));
    expect(commit?.authoredDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+00:00$/);
  });

  it('creates an empty repository and commits its first file on a new branch', async () => {
    await store.create('solo/empty', { defaultBranch: 'trunk', author });
    expect(await store.listBranches('solo/empty')).toEqual([]);
    const { commit, update } = await store.commit('solo/empty', {
      branch: 'trunk',
      message: 'first',
      author,
      actions: [{ action: 'create', filePath: 'a.txt', content: Buffer.from('a') }],
    });
    expect(update).toEqual({ ref: 'refs/heads/trunk', oldSha: '0'.repeat(40), newSha: commit.id });
    expect(await store.resolveCommit('solo/empty', 'trunk')).toBe(commit.id);
  });

  it('reads a file with its blob id, commit ids and mode', async () => {
    const head = await store.resolveCommit(project, 'main');
    const file = await store.readFile(project, 'main', 'src/lib/util.ts');
    expect(file).toMatchObject({
      fileName: 'util.ts',
      filePath: 'src/lib/util.ts',
      size: 2,
      commitId: head,
      lastCommitId: head,
      executeFilemode: false,
    });
    expect(file?.content.toString()).toBe('u\n');
    expect(file?.blobId).toMatch(/^[0-9a-f]{40}$/);
    expect(await store.readFile(project, 'main', 'src/missing.ts')).toBeNull();
    expect(await store.readFile(project, 'main', 'src')).toBeNull();
    expect(await store.readFile(project, 'nope', 'README.md')).toBeNull();
  });

  it('reports the last commit that touched a file, not the tip', async () => {
    const first = await store.resolveCommit(project, 'main');
    await store.commit(project, {
      branch: 'main',
      message: 'touch readme',
      author,
      actions: [{ action: 'update', filePath: 'README.md', content: Buffer.from('# changed\n') }],
    });
    const file = await store.readFile(project, 'main', 'src/app.ts');
    expect(file?.lastCommitId).toBe(first);
    expect(file?.commitId).not.toBe(first);
  });

  it('lists a tree at the root, at a path, and recursively', async () => {
    const root = await store.listTree(project, 'main', {});
    expect(root.map((entry) => [entry.type, entry.path, entry.mode])).toEqual([
      ['blob', 'README.md', '100644'],
      ['tree', 'src', '040000'],
    ]);
    const src = await store.listTree(project, 'main', { path: 'src' });
    expect(src.map((entry) => [entry.name, entry.path])).toEqual([
      ['app.ts', 'src/app.ts'],
      ['lib', 'src/lib'],
    ]);
    const all = await store.listTree(project, 'main', { recursive: true });
    expect(all.map((entry) => entry.path)).toEqual([
      'README.md',
      'src',
      'src/app.ts',
      'src/lib',
      'src/lib/util.ts',
    ]);
    await expectCode(store.listTree(project, 'main', { path: 'nope' }), 'path_not_found');
    await expectCode(store.listTree(project, 'main', { path: 'README.md' }), 'path_not_found');
    await expectCode(store.listTree(project, 'nope', {}), 'ref_not_found');
  });

  it('applies create, update, delete, move and chmod in one commit', async () => {
    const before = await store.resolveCommit(project, 'main');
    const { commit, update } = await store.commit(project, {
      branch: 'main',
      message: 'Many actions\n\nwith a body',
      author,
      committer: { name: 'Bot', email: 'bot@example.test' },
      actions: [
        {
          action: 'create',
          filePath: 'new/dir/file.sh',
          content: Buffer.from('#!/bin/sh\n'),
          executeFilemode: true,
        },
        { action: 'update', filePath: 'README.md', content: Buffer.from('# updated\n') },
        { action: 'delete', filePath: 'src/lib/util.ts' },
        { action: 'move', filePath: 'src/main.ts', previousPath: 'src/app.ts' },
        { action: 'chmod', filePath: 'README.md', executeFilemode: true },
      ],
    });
    expect(update).toEqual({ ref: 'refs/heads/main', oldSha: before, newSha: commit.id });
    expect(commit).toMatchObject({
      title: 'Many actions',
      message: 'Many actions\n\nwith a body',
      committerName: 'Bot',
      parentIds: [before],
    });
    expect(await store.getCommit(project, commit.id)).toEqual(commit);
    const paths = (await store.listTree(project, 'main', { recursive: true }))
      .filter((entry) => entry.type === 'blob')
      .map((entry) => `${entry.mode} ${entry.path}`);
    expect(paths).toEqual(['100755 README.md', '100755 new/dir/file.sh', '100644 src/main.ts']);
    expect((await store.readFile(project, 'main', 'README.md'))?.content.toString()).toBe(
      '# updated\n',
    );
    expect((await store.readFile(project, 'main', 'src/main.ts'))?.content.toString()).toBe(
      'export {};\n',
    );
  });

  it('refuses actions that contradict the tree, leaving the branch where it was', async () => {
    const before = await store.resolveCommit(project, 'main');
    const attempt = (action: Parameters<RepositoryStore['commit']>[1]['actions'][number]) =>
      store.commit(project, { branch: 'main', message: 'x', author, actions: [action] });
    await expectCode(
      attempt({ action: 'create', filePath: 'README.md', content: Buffer.from('') }),
      'file_exists',
    );
    await expectCode(
      attempt({ action: 'create', filePath: 'src', content: Buffer.from('') }),
      'file_exists',
    );
    await expectCode(
      attempt({ action: 'update', filePath: 'nope.md', content: Buffer.from('') }),
      'file_not_found',
    );
    await expectCode(attempt({ action: 'delete', filePath: 'nope.md' }), 'file_not_found');
    await expectCode(
      attempt({ action: 'move', filePath: 'b.md', previousPath: 'nope.md' }),
      'file_not_found',
    );
    await expectCode(
      attempt({ action: 'move', filePath: 'src/app.ts', previousPath: 'README.md' }),
      'file_exists',
    );
    expect(await store.resolveCommit(project, 'main')).toBe(before);
  });

  it('creates a branch from start_branch or start_sha, and requires one for a new branch', async () => {
    const main = await store.resolveCommit(project, 'main');
    const { update } = await store.commit(project, {
      branch: 'feature',
      startBranch: 'main',
      message: 'on feature',
      author,
      actions: [{ action: 'create', filePath: 'f.txt', content: Buffer.from('f') }],
    });
    expect(update.oldSha).toBe('0'.repeat(40));
    expect((await store.getCommit(project, 'feature'))?.parentIds).toEqual([main]);
    const fromSha = await store.commit(project, {
      branch: 'other',
      startSha: main ?? '',
      message: 'x',
      author,
      actions: [{ action: 'create', filePath: 'o.txt', content: Buffer.from('o') }],
    });
    expect(fromSha.commit.parentIds).toEqual([main]);
    await expectCode(
      store.commit(project, {
        branch: 'orphan',
        message: 'x',
        author,
        actions: [{ action: 'delete', filePath: 'README.md' }],
      }),
      'branch_not_found',
    );
    await expectCode(
      store.commit(project, {
        branch: 'x',
        startBranch: 'nope',
        message: 'x',
        author,
        actions: [],
      }),
      'ref_not_found',
    );
  });

  it('serialises concurrent commits on one branch instead of losing one', async () => {
    const results = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        store.commit(project, {
          branch: 'main',
          message: name,
          author,
          actions: [{ action: 'create', filePath: `${name}.txt`, content: Buffer.from(name) }],
        }),
      ),
    );
    const tree = await store.listTree(project, 'main', {});
    expect(tree.map((entry) => entry.path)).toEqual(
      expect.arrayContaining(['a.txt', 'b.txt', 'c.txt']),
    );
    const olds = results.map((result) => result.update.oldSha);
    expect(new Set(olds).size).toBe(3);
  });

  it('creates and deletes branches with GitLab error codes', async () => {
    const main = await store.resolveCommit(project, 'main');
    const branch = await store.createBranch(project, 'topic/one', 'main');
    expect(branch).toMatchObject({ name: 'topic/one', commit: { id: main } });
    await expectCode(store.createBranch(project, 'topic/one', 'main'), 'branch_exists');
    await expectCode(store.createBranch(project, 'two', 'nope'), 'ref_not_found');
    await store.deleteBranch(project, 'topic/one');
    expect(await store.resolveCommit(project, 'topic/one')).toBeNull();
    await expectCode(store.deleteBranch(project, 'topic/one'), 'branch_not_found');
  });

  it('returns diffs in GitLab shape against the merge base', async () => {
    await store.createBranch(project, 'feature', 'main');
    await store.commit(project, {
      branch: 'feature',
      message: 'change',
      author,
      actions: [
        { action: 'update', filePath: 'README.md', content: Buffer.from('# hello\nmore\n') },
        { action: 'create', filePath: 'dir/new file.txt', content: Buffer.from('n\n') },
        { action: 'delete', filePath: 'src/lib/util.ts' },
        { action: 'move', filePath: 'src/moved.ts', previousPath: 'src/app.ts' },
        { action: 'chmod', filePath: 'README.md', executeFilemode: true },
      ],
    });
    // A later commit on main must not appear: the diff starts at the merge base.
    await store.commit(project, {
      branch: 'main',
      message: 'main moves on',
      author,
      actions: [{ action: 'create', filePath: 'main-only.txt', content: Buffer.from('m\n') }],
    });
    const diffs = await store.diff(project, 'main', 'feature');
    const byPath = new Map(diffs.map((diff) => [diff.newPath, diff]));
    expect([...byPath.keys()].sort()).toEqual([
      'README.md',
      'dir/new file.txt',
      'src/lib/util.ts',
      'src/moved.ts',
    ]);
    expect(byPath.get('README.md')).toEqual({
      oldPath: 'README.md',
      newPath: 'README.md',
      aMode: '100644',
      bMode: '100755',
      diff: '@@ -1 +1,2 @@\n # hello\n+more\n',
      newFile: false,
      renamedFile: false,
      deletedFile: false,
    });
    expect(byPath.get('dir/new file.txt')).toMatchObject({
      newFile: true,
      aMode: '0',
      bMode: '100644',
      diff: '@@ -0,0 +1 @@\n+n\n',
    });
    expect(byPath.get('src/lib/util.ts')).toMatchObject({
      deletedFile: true,
      aMode: '100644',
      bMode: '0',
      diff: '@@ -1 +0,0 @@\n-u\n',
    });
    expect(byPath.get('src/moved.ts')).toMatchObject({
      renamedFile: true,
      oldPath: 'src/app.ts',
      diff: '',
    });
    expect(await store.mergeBase(project, 'main', 'feature')).toBe(
      (await store.getCommit(project, 'feature'))?.parentIds[0],
    );
    await expectCode(store.diff(project, 'main', 'nope'), 'ref_not_found');
  });

  it.each([
    ['../escape', 'project path'],
    ['group/../../etc', 'project path'],
    ['-group/project', 'project path'],
    ['group/project.git', 'project path'],
    ['/abs/project', 'project path'],
    ['group//project', 'project path'],
  ])('refuses the project path %j', async (bad) => {
    expect(() => store.pathOf(bad)).toThrow(RepositoryError);
    await expect(store.create(bad, { defaultBranch: 'main', author })).rejects.toThrow(
      RepositoryError,
    );
  });

  it.each([
    '--upload-pack=touch /tmp/pwned',
    '-b',
    'main..feature',
    'main~1',
    'HEAD:README.md',
    'a\0b',
    'refs/../x',
    'main@{0}',
  ])('refuses the ref %j before it reaches git', async (bad) => {
    await expectCode(store.getCommit(project, bad), 'ref_not_found');
    await expectCode(store.createBranch(project, bad, 'main'), 'ref_not_found');
    await expectCode(store.listTree(project, bad, {}), 'ref_not_found');
    await expectCode(store.diff(project, bad, 'main'), 'ref_not_found');
  });

  it.each([
    '../outside',
    'a/../../b',
    '/etc/passwd',
    '.git/config',
    'src/.GIT/hooks/x',
    'a//b',
    'nul\0byte',
    'line\nbreak',
  ])('refuses the file path %j', async (bad) => {
    await expectCode(store.readFile(project, 'main', bad), 'path_not_found');
    await expectCode(
      store.commit(project, {
        branch: 'main',
        message: 'x',
        author,
        actions: [{ action: 'create', filePath: bad, content: Buffer.from('') }],
      }),
      'path_not_found',
    );
  });

  it('treats a file named like an option as a file', async () => {
    await store.commit(project, {
      branch: 'main',
      message: 'dash',
      author,
      actions: [{ action: 'create', filePath: '--help', content: Buffer.from('not an option\n') }],
    });
    expect((await store.readFile(project, 'main', '--help'))?.content.toString()).toBe(
      'not an option\n',
    );
  });
});
