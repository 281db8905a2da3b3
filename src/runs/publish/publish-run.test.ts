import {
  chmod,
  lchown,
  mkdir,
  readdir,
  readFile,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type Workspace } from '../workspace/create-workspace.ts';
import { GitRunner } from '../workspace/git-runner.ts';
import type { MirrorCache } from '../workspace/mirror-cache.ts';
import {
  commitThroughApi,
  startWorkspaceTestForge,
  testTokens,
  type WorkspaceTestForge,
} from '../workspace/workspace-test-forge.ts';
import { finalNote } from './final-note.ts';
import { postFinalNote } from './post-final-note.ts';
import { isPublishError } from './publish-error.ts';
import { publishRun, type PublishRequest } from './publish-run.ts';

const secret = 'masked-value-0123456789';
const identity = {
  authorName: 'Claude Agent',
  authorEmail: 'claude-agent@noreply.devforge.test',
  committerName: 'Alice Developer',
  committerEmail: 'alice@devforge.test',
};

let forge: WorkspaceTestForge;
let mirrors: MirrorCache;
let agentGit: GitRunner;
let runCount = 0;

beforeAll(async () => {
  forge = await startWorkspaceTestForge();
  mirrors = forge.newMirrorCache();
  // Stands in for the agent's own git inside the sandbox: default hooks behaviour.
  agentGit = new GitRunner({ home: forge.dataDir });
});
afterAll(async () => {
  await forge.stop();
});

async function newWorkspace(startBranch = 'main'): Promise<Workspace> {
  runCount += 1;
  const runId = `run${String(runCount).padStart(3, '0')}`;
  return createWorkspace({
    mirrors,
    source: forge.source,
    runId,
    runDir: join(forge.dataDir, 'runs', runId),
    startBranch,
  });
}

function request(workspace: Workspace, overrides: Partial<PublishRequest> = {}): PublishRequest {
  return {
    workspace,
    git: mirrors.git,
    api: forge.agentApi,
    token: testTokens.agent,
    projectId: forge.project.id,
    noteable: { type: 'issue', iid: 1 },
    identity,
    summary: 'Greet politely\n\nChanged the greeting.',
    secrets: [secret],
    requestedBy: 'alice',
    ...overrides,
  };
}

async function agentCommit(workspace: Workspace, message: string): Promise<void> {
  const env = {
    GIT_AUTHOR_NAME: 'x',
    GIT_AUTHOR_EMAIL: 'x@x',
    GIT_COMMITTER_NAME: 'x',
    GIT_COMMITTER_EMAIL: 'x@x',
  };
  await agentGit.run(['add', '--all'], { cwd: workspace.dir });
  await agentGit.run(['commit', '--quiet', '-m', message], { cwd: workspace.dir, env });
}

async function forgeCommit(sha: string) {
  return (await forge.rest('GET', `/projects/${forge.project.id}/repository/commits/${sha}`)) as {
    author_name: string;
    author_email: string;
    committer_name: string;
    committer_email: string;
    parent_ids: string[];
    message: string;
  };
}

async function forgeFile(path: string, ref: string): Promise<string | null> {
  return forge.agentApi.readFile(forge.project.id, path, ref);
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await lchown(dir, uid, uid);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    await lchown(join(entry.parentPath, entry.name), uid, uid);
  }
}

/** Every regular file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(needle)) found.push(path);
  }
  return found;
}

async function branchTip(branch: string): Promise<string | null> {
  try {
    const found = (await forge.rest(
      'GET',
      `/projects/${forge.project.id}/repository/branches/${encodeURIComponent(branch)}`,
    )) as { commit: { id: string } };
    return found.commit.id;
  } catch {
    return null;
  }
}

describe('publishRun', () => {
  it('commits the changes as the service account for the requester, pushes workloads/<id> and opens a merge request into main', async () => {
    const workspace = await newWorkspace();
    await writeFile(
      join(workspace.dir, 'src/greet.ts'),
      'export const greet = () => "Hello, please";\n',
    );
    await writeFile(join(workspace.dir, 'NOTES.md'), 'new file\n');

    const result = await publishRun(
      request(workspace, { summary: `Greet politely\n\nUsed token ${secret} to test.\n/merge` }),
    );

    expect(result).toMatchObject({ kind: 'merge_request', created: true });
    if (result.kind !== 'merge_request') return;
    const mr = await forge.agentApi.getMergeRequest(forge.project.id, result.iid);
    expect(mr).toMatchObject({
      sourceBranch: workspace.branch,
      targetBranch: 'main',
      title: 'Greet politely',
    });
    expect(mr.description).toContain('Relates to #1.');
    expect(mr.description).not.toContain(secret);
    expect(mr.description).toContain('[MASKED]');
    expect(mr.description).not.toMatch(/^\/merge/m);
    const tip = await branchTip(workspace.branch);
    const commit = await forgeCommit(tip ?? '');
    expect(commit).toMatchObject({
      author_name: identity.authorName,
      author_email: identity.authorEmail,
      committer_name: identity.committerName,
      committer_email: identity.committerEmail,
      parent_ids: [workspace.startSha],
    });
    expect(commit.message).not.toContain(secret);
    expect(await forgeFile('NOTES.md', workspace.branch)).toBe('new file\n');
    const header = Buffer.from(`oauth2:${testTokens.agent}`).toString('base64');
    expect(await filesContaining(forge.dataDir, testTokens.agent)).toEqual([]);
    expect(await filesContaining(forge.dataDir, header)).toEqual([]);
  });

  it("publishes the agent's own commits and its uncommitted changes as one commit, never running its hooks or fsmonitor", async () => {
    const workspace = await newWorkspace();
    await writeFile(join(workspace.dir, 'committed.txt'), 'committed by the agent\n');
    await agentCommit(workspace, 'agent commit');
    const marker = join(forge.dataDir, `hook-ran-${workspace.runId}`);
    const hook = join(workspace.dir, '.git', 'evil-hook');
    await writeFile(hook, `#!/bin/sh\ntouch '${marker}'\n`);
    await chmod(hook, 0o755);
    const hooksDir = join(workspace.dir, '.git', 'hooks');
    await mkdir(hooksDir, { recursive: true });
    for (const name of [
      'pre-commit',
      'post-commit',
      'pre-push',
      'reference-transaction',
      'post-index-change',
    ]) {
      await writeFile(join(hooksDir, name), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    }
    await agentGit.run(['config', 'core.hooksPath', hooksDir], { cwd: workspace.dir });
    await agentGit.run(['config', 'core.fsmonitor', hook], { cwd: workspace.dir });
    await writeFile(join(workspace.dir, 'uncommitted.txt'), 'left in the work tree\n');

    const result = await publishRun(request(workspace));

    expect(result.kind).toBe('merge_request');
    await expect(stat(marker)).rejects.toThrow();
    const commit = await forgeCommit((await branchTip(workspace.branch)) ?? '');
    expect(commit.parent_ids).toEqual([workspace.startSha]);
    expect(commit.author_name).toBe(identity.authorName);
    expect(await forgeFile('committed.txt', workspace.branch)).toBe('committed by the agent\n');
    expect(await forgeFile('uncommitted.txt', workspace.branch)).toBe('left in the work tree\n');
  });

  it.skipIf(process.getuid?.() !== 0 && process.env.CI !== 'true')(
    'publishes a workspace the sandbox handed to another uid, without safe.directory',
    async () => {
      const workspace = await newWorkspace();
      await writeFile(join(workspace.dir, 'sandboxed.txt'), 'written as the run uid\n');
      // What the bubblewrap sandbox does before the agent starts (src/sandbox/readme.md).
      await agentGit.run(['-c', 'safe.directory=*', 'status'], { cwd: workspace.dir });
      await chownTree(workspace.dir, 200_123);
      const result = await publishRun(request(workspace));
      expect(result.kind).toBe('merge_request');
      expect(await forgeFile('sandboxed.txt', workspace.branch)).toBe('written as the run uid\n');
    },
  );

  it('links the merge request a flow opened from its own branch instead of opening another', async () => {
    const workspace = await newWorkspace();
    await agentGit.run(['switch', '--quiet', '-c', `feature/agent-${workspace.runId}`], {
      cwd: workspace.dir,
    });
    await writeFile(join(workspace.dir, 'flow.txt'), 'pushed by the flow\n');
    await agentCommit(workspace, 'flow change');
    await agentGit.run(['push', '--quiet', 'origin', 'HEAD'], {
      cwd: workspace.dir,
      auth: { url: forge.project.httpUrlToRepo, token: testTokens.agent },
    });
    const flowMr = await forge.agentApi.createMergeRequest({
      projectId: forge.project.id,
      sourceBranch: `feature/agent-${workspace.runId}`,
      targetBranch: 'main',
      title: 'Flow MR',
      description: '',
    });

    const result = await publishRun(request(workspace));

    expect(result).toEqual({
      kind: 'merge_request',
      url: flowMr.webUrl,
      iid: flowMr.iid,
      created: false,
    });
    expect(await branchTip(workspace.branch)).toBeNull();
  });

  it('links the merge request a flow opened from workloads/<id> after pushing that branch itself', async () => {
    const workspace = await newWorkspace();
    await writeFile(join(workspace.dir, 'flow.txt'), 'pushed by the flow\n');
    await agentCommit(workspace, 'flow change');
    await agentGit.run(['push', '--quiet', 'origin', workspace.branch], {
      cwd: workspace.dir,
      auth: { url: forge.project.httpUrlToRepo, token: testTokens.agent },
    });
    const flowTip = await branchTip(workspace.branch);
    const flowMr = await forge.agentApi.createMergeRequest({
      projectId: forge.project.id,
      sourceBranch: workspace.branch,
      targetBranch: 'main',
      title: 'Flow MR',
      description: '',
    });

    const result = await publishRun(request(workspace));

    expect(result).toEqual({
      kind: 'merge_request',
      url: flowMr.webUrl,
      iid: flowMr.iid,
      created: false,
    });
    expect(await branchTip(workspace.branch)).toBe(flowTip);
    const open = await forge.agentApi.listMergeRequests(forge.project.id, {
      sourceBranch: workspace.branch,
    });
    expect(open).toHaveLength(1);
  });

  it('answers no_changes and pushes nothing when the work tree is unchanged', async () => {
    const workspace = await newWorkspace();
    await writeFile(
      join(workspace.dir, 'README.md'),
      await readFile(join(workspace.dir, 'README.md')),
    );
    expect(await publishRun(request(workspace))).toEqual({ kind: 'no_changes' });
    expect(await branchTip(workspace.branch)).toBeNull();
  });

  it('pushes to the merge request source branch when asked to', async () => {
    const workspace = await newWorkspace('feature/polite-greeting');
    await writeFile(join(workspace.dir, 'review-fix.txt'), 'fixed\n');
    const result = await publishRun(
      request(workspace, { noteable: { type: 'merge_request', iid: 1 }, pushToSourceBranch: true }),
    );
    expect(result).toMatchObject({ kind: 'pushed', branch: 'feature/polite-greeting' });
    if (result.kind !== 'pushed') return;
    expect(await branchTip('feature/polite-greeting')).toBe(result.sha);
    expect((await forgeCommit(result.sha)).parent_ids).toEqual([workspace.startSha]);
  });

  it('refuses to overwrite a source branch that moved while the agent worked', async () => {
    const workspace = await newWorkspace('feature/polite-greeting');
    await commitThroughApi(
      forge,
      'feature/polite-greeting',
      `human-${workspace.runId}.txt`,
      'human\n',
    );
    await writeFile(join(workspace.dir, 'agent.txt'), 'agent\n');
    const error: unknown = await publishRun(
      request(workspace, { noteable: { type: 'merge_request', iid: 1 }, pushToSourceBranch: true }),
    ).catch((e: unknown) => e);
    expect(isPublishError(error) && error.reason).toBe('branch_moved');
  });

  it('explains a push refused by a protected branch rule in words a maintainer can act on', async () => {
    await forge.rest('POST', `/projects/${forge.project.id}/protected_branches`, {
      name: 'workloads/*',
      push_access_level: 40,
    });
    try {
      const workspace = await newWorkspace();
      await writeFile(join(workspace.dir, 'x.txt'), 'x\n');
      const error: unknown = await publishRun(request(workspace)).catch((e: unknown) => e);
      expect(isPublishError(error) && error.reason).toBe('protected_branch');
      expect((error as Error).message).toMatch(
        /could not push workloads\/run\d+: the branch is protected/,
      );
      expect((error as Error).message).toContain('allow Developers to push to `workloads/*`');
    } finally {
      await forge.rest(
        'DELETE',
        `/projects/${forge.project.id}/protected_branches/${encodeURIComponent('workloads/*')}`,
      );
    }
  });

  it("says the service account's token needs replacing when GitLab refuses it", async () => {
    const workspace = await newWorkspace();
    await writeFile(join(workspace.dir, 'x.txt'), 'x\n');
    const error: unknown = await publishRun(
      request(workspace, { token: 'glpat-revoked-0000' }),
    ).catch((e: unknown) => e);
    expect(isPublishError(error) && error.reason).toBe('push_unauthorized');
    expect((error as Error).message).toContain('set a new token');
  });

  it('refuses a symbolic link that points outside the repository', async () => {
    const workspace = await newWorkspace();
    await symlink('/etc/passwd', join(workspace.dir, 'passwd'));
    const error: unknown = await publishRun(request(workspace)).catch((e: unknown) => e);
    expect(isPublishError(error) && error.reason).toBe('unsafe_symlink');
    expect(await branchTip(workspace.branch)).toBeNull();
  });

  it('never pushes a masked value the agent wrote into a file', async () => {
    const workspace = await newWorkspace();
    await writeFile(join(workspace.dir, 'leak.txt'), `token=${secret}\n`);
    const error: unknown = await publishRun(request(workspace)).catch((e: unknown) => e);
    expect(isPublishError(error) && error.reason).toBe('secret_in_changes');
    expect(await branchTip(workspace.branch)).toBeNull();
  });
});

describe('postFinalNote', () => {
  const issue = () => ({ type: 'issue' as const, projectId: forge.project.id, iid: 1 });

  it('edits the progress note into the final answer', async () => {
    const ack = await forge.agentApi.createNote(
      issue(),
      '🔄 Processing the request and starting the agent...',
    );
    const note = finalNote({
      runId: 'run-note',
      durationMs: 61_000,
      secrets: [],
      outcome: {
        kind: 'published',
        result: { kind: 'merge_request', url: 'http://forge/mr/5', iid: 5, created: true },
      },
    });
    const posted = await postFinalNote(
      forge.agentApi,
      { noteable: issue(), ackNoteId: ack.id, discussionId: ack.discussionId },
      note,
    );
    expect(posted.noteId).toBe(ack.id);
    const notes = await forge.agentApi.listNotes(issue());
    expect(notes.find((n) => n.id === ack.id)?.body).toContain('[!5](http://forge/mr/5)');
  });

  it("replies in the run's thread with the agent's answer", async () => {
    const ack = await forge.agentApi.createNote(
      issue(),
      '🔄 Processing the request and starting the agent...',
    );
    const note = finalNote({
      runId: 'run-answer',
      durationMs: 5_000,
      secrets: [secret],
      outcome: { kind: 'published', result: { kind: 'no_changes' }, answer: `It uses ${secret}.` },
    });
    const posted = await postFinalNote(
      forge.agentApi,
      { noteable: issue(), ackNoteId: ack.id, discussionId: ack.discussionId },
      note,
    );
    expect(posted.noteId).not.toBe(ack.id);
    const discussion = (await forge.rest(
      'GET',
      `/projects/${forge.project.id}/issues/1/discussions/${ack.discussionId}`,
    )) as { notes: { id: number; body: string }[] };
    expect(discussion.notes.map((n) => n.id)).toEqual([ack.id, posted.noteId]);
    expect(discussion.notes[1]?.body).toContain('It uses [MASKED].');
  });
});
