import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, workspaceStartBranch } from './create-workspace.ts';
import { GitRunner } from './git-runner.ts';
import type { MirrorCache } from './mirror-cache.ts';
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

interface Span {
  kind: 'fetch' | 'clone';
  start: number;
  end: number;
}

/** Records when each fetch into `mirrors`' mirrors and each clone from them ran. */
function traceMirrorTraffic(mirrors: MirrorCache): Span[] {
  const spans: Span[] = [];
  const run = mirrors.git.run.bind(mirrors.git);
  mirrors.git.run = async (args, options) => {
    const kind = args[0] === 'clone' ? 'clone' : args.includes('fetch') ? 'fetch' : undefined;
    const start = performance.now();
    try {
      return await run(args, options);
    } finally {
      if (kind !== undefined) spans.push({ kind, start, end: performance.now() });
    }
  };
  return spans;
}

function overlaps(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end;
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

  it("does not let one token's failed fetch answer a request made with another token", async () => {
    const mirrors = forge.newMirrorCache();
    const good = { ...forge.source, connectionId: 'two-tokens' };
    const revoked = { ...good, token: 'glpat-revoked-0000' };
    await mirrors.ensureFresh(good);
    // The first fetches at once; the other two wait, and are not served by one fetch together.
    const results = await Promise.allSettled([
      mirrors.ensureFresh(good),
      mirrors.ensureFresh(revoked),
      mirrors.ensureFresh(good),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'FORGE_UNAUTHORIZED' } });
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

  it('prepares ten runs of one project at once with shared fetches, no clone during a fetch', async () => {
    const mirrors = forge.newMirrorCache();
    const source = { ...forge.source, connectionId: 'burst' };
    await mirrors.ensureFresh(source);
    const spans = traceMirrorTraffic(mirrors);

    const ids = Array.from({ length: 10 }, (_, i) => `burst${i}`);
    const workspaces = await Promise.all(
      ids.map((runId) =>
        createWorkspace({
          mirrors,
          source,
          runId,
          runDir: join(forge.dataDir, 'runs', runId),
          startBranch: 'main',
        }),
      ),
    );

    const main = await forgeBranchSha('main');
    for (const [i, workspace] of workspaces.entries()) {
      expect(await headOf(workspace.dir)).toEqual({ branch: `workloads/${ids[i]}`, sha: main });
    }
    const fetches = spans.filter((span) => span.kind === 'fetch');
    const clones = spans.filter((span) => span.kind === 'clone');
    expect(clones).toHaveLength(10);
    // One at a time would fetch ten times: the first fetches alone, the rest share one or two.
    expect(fetches.length).toBeGreaterThanOrEqual(1);
    expect(fetches.length).toBeLessThanOrEqual(3);
    for (const fetch of fetches) {
      for (const clone of clones) expect(overlaps(fetch, clone)).toBe(false);
    }
    expect(clones.some((a) => clones.some((b) => a !== b && overlaps(a, b)))).toBe(true);
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
