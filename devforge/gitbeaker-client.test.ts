import { AccessLevel, Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, startReceiver, tokens, type StartedForge } from './test/forge-harness.ts';

/**
 * The forge driven by @gitbeaker/rest, a GitLab client nobody here wrote: every call Baton's
 * adapter relies on must work against the forge exactly as against GitLab.
 */
let started: StartedForge;
const client = (token: string) => new Gitlab({ host: started.url, token });
const project = 'demo/app';

beforeAll(async () => {
  started = await startForge();
});
afterAll(async () => {
  await started.stop();
});

function statusOf(error: unknown): number | undefined {
  const cause = (error as { cause?: { response?: { status?: number } } }).cause;
  return cause?.response?.status;
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error: unknown) {
    return {
      status: statusOf(error),
      message: error instanceof Error ? error.message : String(error),
    };
  }
  throw new Error('expected the request to fail');
}

describe('users, tokens, projects and members', () => {
  it('identifies the token owner and its scopes', async () => {
    const me = await client(tokens.claude).Users.showCurrentUser();
    expect(me.username).toBe('claude-agent');
    expect(me.bot).toBe(true);
    const token = await client(tokens.claude).PersonalAccessTokens.show();
    expect(token.scopes).toEqual(['api', 'write_repository', 'ai_features']);
    expect(token.active).toBe(true);
  });

  it('shows a project by URL-encoded path with the caller permissions and URLs from the public base', async () => {
    const shown = await client(tokens.alice).Projects.show(project);
    expect(shown.path_with_namespace).toBe(project);
    expect(shown.web_url).toBe(`${started.url}/demo/app`);
    expect(shown.http_url_to_repo).toBe(`${started.url}/demo/app.git`);
    expect(
      (shown.permissions as { project_access: { access_level: number } }).project_access
        .access_level,
    ).toBe(30);
  });

  it('reports effective membership, inherited from the group, and 404 for a non-member', async () => {
    const api = client(tokens.alice);
    const mia = api.Users.all({ username: 'mia' });
    const [miaUser] = await mia;
    const member = await api.ProjectMembers.show(project, miaUser?.id ?? 0, {
      includeInherited: true,
    });
    expect(member.access_level).toBe(40);
    const [nora] = await api.Users.all({ username: 'nora' });
    const missing = await failure(
      api.ProjectMembers.show(project, nora?.id ?? 0, { includeInherited: true }),
    );
    expect(missing.status).toBe(404);
    const all = await api.ProjectMembers.all(project, { includeInherited: true });
    expect(all.map((m) => m.username)).toContain('mia');
  });

  it('maps 401, 403 insufficient_scope, 404 and 409 like GitLab', async () => {
    const bad = await failure(client('glpat-not-a-token').Users.showCurrentUser());
    expect(bad).toEqual({ status: 401, message: '401 Unauthorized' });
    const readOnly = await failure(
      client(tokens.aliceReadOnly).IssueNotes.create(project, 1, 'hi'),
    );
    expect(readOnly).toEqual({ status: 403, message: 'insufficient_scope' });
    const hidden = await failure(client(tokens.nora).Projects.show(project));
    expect(hidden).toEqual({ status: 404, message: '404 Project Not Found' });
    const api = client(tokens.alice);
    await api.Branches.create(project, 'dup-source', 'main');
    await api.Commits.create(project, 'dup-source', 'Touch', [
      { action: 'create', filePath: 'dup.txt', content: 'x' },
    ]);
    await api.MergeRequests.create(project, 'dup-source', 'main', 'First');
    const duplicate = await failure(
      api.MergeRequests.create(project, 'dup-source', 'main', 'Second'),
    );
    expect(duplicate.status).toBe(409);
    expect(duplicate.message).toContain(
      'Another open merge request already exists for this source branch',
    );
  });
});

describe('issues, notes, discussions and award emoji', () => {
  it('reads, lists and edits issues, including assignees', async () => {
    const api = client(tokens.alice);
    const issue = await api.Issues.show(1, { projectId: project });
    expect(issue.title).toContain('Greeting');
    const list = await api.Issues.all({ projectId: project, state: 'opened' });
    expect(list.map((i) => i.iid)).toContain(1);
    const [bot] = await api.Users.all({ username: 'claude-agent' });
    const edited = await api.Issues.edit(project, 1, { assigneeIds: [bot?.id ?? 0] });
    expect(edited.assignees?.map((a) => a.username)).toEqual(['claude-agent']);
  });

  it('creates, lists (newest first), edits and shows issue notes', async () => {
    const api = client(tokens.alice);
    const first = await api.IssueNotes.create(project, 1, 'first @claude-agent');
    const second = await api.IssueNotes.create(project, 1, 'second');
    const notes = await api.IssueNotes.all(project, 1);
    expect(notes[0]?.id).toBe(second.id);
    const edited = await api.IssueNotes.edit(project, 1, first.id, { body: 'first, edited' });
    expect(edited.body).toBe('first, edited');
    const shown = await api.IssueNotes.show(project, 1, first.id);
    expect(shown.body).toBe('first, edited');
    expect(shown.type).toBeNull();
  });

  it('starts an issue thread and replies in it', async () => {
    const api = client(tokens.alice);
    const thread = await api.IssueDiscussions.create(project, 1, 'thread start');
    expect(thread.id).toMatch(/^[0-9a-f]{40}$/);
    const reply = await client(tokens.claude).IssueDiscussions.addNote(
      project,
      1,
      thread.id,
      'bot reply',
    );
    expect(reply.type).toBe('DiscussionNote');
    const all = await api.IssueDiscussions.all(project, 1);
    const found = all.find((d) => d.id === thread.id);
    expect(found?.notes?.map((n) => n.body)).toEqual(['thread start', 'bot reply']);
  });

  it('awards an emoji on a note', async () => {
    const api = client(tokens.claude);
    const note = await api.IssueNotes.create(project, 1, 'on it');
    const award = await api.IssueNoteAwardEmojis.award(project, 1, note.id, 'eyes');
    expect(award).toMatchObject({ name: 'eyes', awardable_type: 'Note', awardable_id: note.id });
  });

  it('follows Link headers over several pages with .all()', async () => {
    const api = client(tokens.alice);
    const created = await api.Issues.all({ projectId: project });
    expect(created.length).toBeGreaterThan(0);
    for (let i = 0; i < 7; i += 1) await api.IssueNotes.create(project, 1, `page filler ${i}`);
    const everything = await api.IssueNotes.all(project, 1, { perPage: 3 });
    const firstPage = await api.IssueNotes.all(project, 1, { perPage: 3, maxPages: 1 });
    expect(firstPage).toHaveLength(3);
    expect(everything.length).toBeGreaterThanOrEqual(7);
    expect(new Set(everything.map((n) => n.id)).size).toBe(everything.length);
    const expanded = await api.IssueNotes.all(project, 1, {
      perPage: 3,
      page: 2,
      showExpanded: true,
    });
    expect(expanded.paginationInfo).toMatchObject({ current: 2, perPage: 3, previous: 1, next: 3 });
  });
});

describe('merge requests', () => {
  it('creates, shows, lists by source branch, edits reviewers and reads diffs and versions', async () => {
    const api = client(tokens.claude);
    await api.Branches.create(project, 'workloads/1', 'main');
    const branch = await api.Branches.show(project, 'workloads/1');
    expect(branch.name).toBe('workloads/1');
    await api.Commits.create(project, 'workloads/1', 'Add feature', [
      { action: 'create', filePath: 'src/feature.ts', content: 'export const feature = 1;\n' },
      { action: 'update', filePath: 'README.md', content: '# App\n\nNow with a feature.\n' },
    ]);
    const mr = await api.MergeRequests.create(project, 'workloads/1', 'main', 'Add feature', {
      description: 'Made by an agent',
      removeSourceBranch: true,
    });
    expect(mr.iid).toBeGreaterThan(0);
    const shown = await api.MergeRequests.show(project, mr.iid);
    expect(shown.source_branch).toBe('workloads/1');
    const listed = await api.MergeRequests.all({
      projectId: project,
      sourceBranch: 'workloads/1',
      state: 'opened',
    });
    expect(listed.map((m) => m.iid)).toEqual([mr.iid]);
    const [rita] = await api.Users.all({ username: 'rita' });
    const edited = await api.MergeRequests.edit(project, mr.iid, { reviewerIds: [rita?.id ?? 0] });
    expect(edited.reviewers?.map((r) => r.username)).toEqual(['rita']);
    const diffs = await api.MergeRequests.allDiffs(project, mr.iid);
    expect(diffs.map((d) => d.new_path).sort()).toEqual(['README.md', 'src/feature.ts']);
    expect(diffs.find((d) => d.new_path === 'src/feature.ts')?.new_file).toBe(true);
    const versions = await api.MergeRequests.allDiffVersions(project, mr.iid);
    expect(versions[0]?.head_commit_sha).toBe(shown.sha);
  });

  it('creates a diff thread with a position (sent as multipart) and notes on the MR', async () => {
    const api = client(tokens.claude);
    const [version] = await api.MergeRequests.allDiffVersions(project, 1);
    if (version === undefined) throw new Error('the seeded MR has no version');
    const thread = await api.MergeRequestDiscussions.create(
      project,
      1,
      'Consider a constant here',
      {
        position: {
          baseSha: version.base_commit_sha,
          startSha: version.start_commit_sha,
          headSha: version.head_commit_sha,
          positionType: 'text',
          newPath: 'src/greet.ts',
          oldPath: 'src/greet.ts',
          newLine: '2',
        },
      },
    );
    const [note] = thread.notes ?? [];
    expect(note?.type).toBe('DiffNote');
    expect((note as { position?: { new_line: number } } | undefined)?.position?.new_line).toBe(2);
    const reply = await api.MergeRequestDiscussions.addNote(project, 1, thread.id, 'fixed');
    expect(reply.type).toBe('DiffNote');
    const plain = await api.MergeRequestNotes.create(project, 1, 'LGTM');
    const notes = await api.MergeRequestNotes.all(project, 1);
    expect(notes[0]?.id).toBe(plain.id);
  });
});

describe('epics', () => {
  it('comments on a group epic and replies in an epic thread', async () => {
    const api = client(tokens.mia);
    const note = await api.EpicNotes.create('demo', 1, 'epic comment');
    expect(note.noteable_type).toBe('Epic');
    const notes = await api.EpicNotes.all('demo', 1);
    expect(notes.map((n) => n.id)).toContain(note.id);
    const thread = await api.EpicDiscussions.create('demo', 1, 'epic thread');
    const reply = await api.EpicDiscussions.addNote('demo', 1, thread.id, 'epic reply');
    expect(reply.type).toBe('DiscussionNote');
  });
});

describe('repository', () => {
  it('reads files, raw files and the tree', async () => {
    const api = client(tokens.alice);
    const file = await api.RepositoryFiles.show(project, 'src/greet.ts', 'main');
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toContain('export function greet');
    const raw = await api.RepositoryFiles.showRaw(project, 'README.md', 'main');
    expect(typeof raw === 'string' ? raw : '').toContain('# App');
    const tree = await api.Repositories.allRepositoryTrees(project, {
      recursive: true,
      ref: 'main',
    });
    expect(tree.map((e) => e.path)).toContain('src/greet.ts');
  });

  it('protects a branch so that a Developer can no longer commit to it', async () => {
    const maintainer = client(tokens.mia);
    await maintainer.Branches.create(project, 'release', 'main');
    const rule = await maintainer.ProtectedBranches.protect(project, 'release', {
      pushAccessLevel: AccessLevel.MAINTAINER,
      mergeAccessLevel: AccessLevel.MAINTAINER,
    });
    expect(rule.push_access_levels?.[0]?.access_level).toBe(40);
    const refused = await failure(
      client(tokens.alice).Commits.create(project, 'release', 'nope', [
        { action: 'create', filePath: 'x.txt', content: 'x' },
      ]),
    );
    expect(refused.status).toBe(403);
  });
});

describe('hooks, variables and service accounts', () => {
  it('adds a project hook that never returns its token', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await client(tokens.mia).ProjectHooks.add(project, receiver.url, {
        noteEvents: true,
        token: 's3cret',
      });
      expect(hook).toMatchObject({ url: receiver.url, note_events: true, push_events: true });
      expect(hook).not.toHaveProperty('token');
    } finally {
      await receiver.close();
    }
  });

  it('creates, reads, edits and removes CI/CD variables', async () => {
    const api = client(tokens.mia);
    const created = await api.ProjectVariables.create(project, 'API_KEY', 'abcd1234efgh', {
      masked: true,
    });
    expect(created).toMatchObject({ key: 'API_KEY', masked: true, environment_scope: '*' });
    const shown = await api.ProjectVariables.show(project, 'API_KEY');
    expect(shown.value).toBe('abcd1234efgh');
    const edited = await api.ProjectVariables.edit(project, 'API_KEY', 'zyxw9876vuts', {
      filter: { environment_scope: '*' },
    });
    expect(edited.value).toBe('zyxw9876vuts');
    const tooShort = await failure(
      api.ProjectVariables.create(project, 'SHORT', 'abc', { masked: true }),
    );
    expect(tooShort.status).toBe(400);
    await api.ProjectVariables.remove(project, 'API_KEY');
    expect((await failure(api.ProjectVariables.show(project, 'API_KEY'))).status).toBe(404);
  });

  it('creates a group service account and mints it a token that works', async () => {
    const api = client(tokens.root);
    const account = await api.GroupServiceAccounts.create('demo', {
      name: 'Gemini Agent',
      username: 'gemini-agent',
    });
    expect(account.username).toBe('gemini-agent');
    // gitbeaker 43.8's createPersonalAccessToken posts to `…/service_accounts/:id` (no
    // `/personal_access_tokens`), a path GitLab does not serve; the forge answers 404 like GitLab.
    const wrongPath = await failure(
      api.GroupServiceAccounts.createPersonalAccessToken('demo', account.id),
    );
    expect(wrongPath.status).toBe(404);
    const token = await api.requester.post(
      `groups/demo/service_accounts/${account.id}/personal_access_tokens`,
      {
        body: { name: 'agent', scopes: ['api', 'write_repository'] },
      },
    );
    const minted = token.body as { token: string; scopes: string[] };
    expect(minted.token).toMatch(/^glpat-/);
    const me = await client(minted.token).Users.showCurrentUser();
    expect(me).toMatchObject({ username: 'gemini-agent', bot: true });
  });
});
