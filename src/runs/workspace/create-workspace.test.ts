import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, workspaceStartBranch } from './create-workspace.ts';
import { GitRunner } from './git-runner.ts';
import {
  commitThroughApi,
  startWorkspaceTestForge,
  type WorkspaceTestForge,
} from './workspace-test-forge.ts';

let forge: WorkspaceTestForge;
let git: GitRunner;

beforeAll(async () => {
  forge = await startWorkspaceTestForge();
  git = new GitRunner({ home: forge.dataDir });
});
afterAll(async () => {
  await forge.stop();
});

async function headOf(dir: string): Promise<{ branch: string; sha: string }> {
  const branch = await git.run(['symbolic-ref', '--short', 'HEAD'], { cwd: dir });
  const sha = await git.run(['rev-parse', 'HEAD'], { cwd: dir });
  return { branch: branch.stdout.trim(), sha: sha.stdout.trim() };
}

async function forgeBranchSha(branch: string): Promise<string> {
  const found = (await forge.rest(
    'GET',
    `/projects/${forge.project.id}/repository/branches/${encodeURIComponent(branch)}`,
  )) as { commit: { id: string } };
  return found.commit.id;
}

describe('MirrorCache', () => {
  it('clones a project once, then only fetches new commits into the same mirror', async () => {
    const mirrors = forge.newMirrorCache();
    const first = await mirrors.ensureFresh(forge.source);
    expect(first.created).toBe(true);
    const before = await stat(join(first.path, 'config'));

    const sha = await commitThroughApi(forge, 'main', 'docs/mirror.md', 'fetched, not cloned\n');
    const second = await mirrors.ensureFresh(forge.source);
    expect(second).toEqual({ path: first.path, created: false });
    // Same config file (inode) as the first call: the mirror was not recreated.
    expect((await stat(join(second.path, 'config'))).ino).toBe(before.ino);
    const tip = await git.run([`--git-dir=${second.path}`, 'rev-parse', 'refs/heads/main']);
    expect(tip.stdout.trim()).toBe(sha);
  });

  it('keeps the token out of the mirror configuration on disk', async () => {
    const { path } = await forge.newMirrorCache().ensureFresh(forge.source);
    const config = await readFile(join(path, 'config'), 'utf8');
    expect(config).not.toContain(forge.source.token);
    expect(config).not.toContain(Buffer.from(`oauth2:${forge.source.token}`).toString('base64'));
  });

  it('serialises concurrent fetches of one project and answers all of them', async () => {
    const mirrors = forge.newMirrorCache();
    const source = { ...forge.source, connectionId: 'concurrent' };
    const results = await Promise.all([1, 2, 3].map(() => mirrors.ensureFresh(source)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('says what to do when the forge refuses the token, and keeps no half-made mirror', async () => {
    const mirrors = forge.newMirrorCache();
    const source = { ...forge.source, connectionId: 'revoked', token: 'glpat-revoked-0000' };
    await expect(mirrors.ensureFresh(source)).rejects.toMatchObject({
      code: 'FORGE_UNAUTHORIZED',
      message: expect.stringContaining('set a new token') as unknown,
    });
    await expect(stat(mirrors.mirrorPath('revoked', source.projectId))).rejects.toThrow();
  });
});

describe('createWorkspace', () => {
  it('checks out workloads/<id> from the default branch, origin without credentials', async () => {
    const mirrors = forge.newMirrorCache();
    const runDir = join(forge.dataDir, 'runs', 'aaa111');
    const workspace = await createWorkspace({
      mirrors,
      source: forge.source,
      runId: 'aaa111',
      runDir,
      startBranch: workspaceStartBranch({ type: 'issue' }, forge.project.defaultBranch),
      fullContext: '{"type":"issue"}',
    });
    expect(await headOf(workspace.dir)).toEqual({
      branch: 'workloads/aaa111',
      sha: await forgeBranchSha('main'),
    });
    expect(workspace.startSha).toBe(await forgeBranchSha('main'));
    const origin = await git.run(['remote', 'get-url', 'origin'], { cwd: workspace.dir });
    expect(origin.stdout.trim()).toBe(forge.project.httpUrlToRepo);
    const gitConfig = await readFile(join(workspace.dir, '.git', 'config'), 'utf8');
    expect(gitConfig).not.toContain(forge.source.token);
    // Self-contained: no alternates that would point the agent at the mirror.
    await expect(stat(join(workspace.dir, '.git/objects/info/alternates'))).rejects.toThrow();
    expect(await readFile(workspace.contextFile ?? '', 'utf8')).toBe('{"type":"issue"}');
    expect(workspace.contextFile?.startsWith(workspace.dir)).toBe(false);
  });

  it("starts from a merge request's source branch", async () => {
    const workspace = await createWorkspace({
      mirrors: forge.newMirrorCache(),
      source: forge.source,
      runId: 'bbb222',
      runDir: join(forge.dataDir, 'runs', 'bbb222'),
      startBranch: workspaceStartBranch(
        { type: 'merge_request', sourceBranch: 'feature/polite-greeting' },
        'main',
      ),
    });
    const sourceSha = await forgeBranchSha('feature/polite-greeting');
    expect(await headOf(workspace.dir)).toEqual({ branch: 'workloads/bbb222', sha: sourceSha });
    expect(workspace.startBranch).toBe('feature/polite-greeting');
    expect(workspace.contextFile).toBeNull();
  });

  it('fails with NOT_FOUND for a branch the project does not have, and leaves nothing behind', async () => {
    const runDir = join(forge.dataDir, 'runs', 'ccc333');
    await expect(
      createWorkspace({
        mirrors: forge.newMirrorCache(),
        source: forge.source,
        runId: 'ccc333',
        runDir,
        startBranch: 'no-such-branch',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(stat(runDir)).rejects.toThrow();
  });
});
