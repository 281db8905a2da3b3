import type { GitIdentity, RepositoryStore } from '../git/repository-store.ts';
import type { ParsedFixture } from '../fixture-schema.ts';
import { ForgeState } from './forge-state.ts';
import { refreshMergeRequestVersion } from './merge-request-versions.ts';
import type { Group, Project, User } from './types.ts';

type FixtureProject = ParsedFixture['projects'][number];

/** Builds a fresh state from a parsed fixture and (re)creates its repositories. */
export async function seedState(
  fixture: ParsedFixture,
  store: RepositoryStore,
): Promise<ForgeState> {
  const state = new ForgeState();
  const now = Date.now();
  const userOf = (username: string): User => {
    const user = state.userByUsername(username);
    if (user === undefined) throw new Error(`fixture names an unknown user: ${username}`);
    return user;
  };
  seedGroups(state, fixture, now);
  seedUsers(state, fixture, now);
  for (const entry of fixture.groups) {
    const group = state.groupByFullPath(entry.full_path);
    for (const member of entry.members) {
      if (group === undefined) continue;
      state.memberships.push({
        sourceType: 'Namespace',
        sourceId: group.id,
        userId: userOf(member.user).id,
        accessLevel: member.access_level,
        createdAt: now,
        createdById: null,
        expiresAt: null,
      });
    }
  }
  for (const entry of fixture.projects) await seedProject(state, store, entry, now, userOf);
  for (const entry of fixture.epics) {
    const group = state.groupByFullPath(entry.group);
    if (group === undefined) throw new Error(`fixture epic names an unknown group: ${entry.group}`);
    const id = state.nextId('epic');
    state.epics.set(id, {
      id,
      iid: state.nextIid('epic', group.id),
      groupId: group.id,
      title: entry.title,
      description: entry.description,
      state: 'opened',
      authorId: userOf(entry.author).id,
      labels: entry.labels,
      confidential: false,
      createdAt: now,
      updatedAt: now,
    });
  }
  const adminToken = state.tokenByValue(fixture.admin_token);
  if (adminToken === undefined || state.users.get(adminToken.userId)?.admin !== true) {
    throw new Error('fixture admin_token must be a token of an admin user');
  }
  state.adminToken = fixture.admin_token;
  return state;
}

function seedUsers(state: ForgeState, fixture: ParsedFixture, now: number): void {
  for (const entry of fixture.users) {
    const owner =
      entry.service_account_of === undefined
        ? undefined
        : state.groupByFullPath(entry.service_account_of);
    const user: User = {
      id: state.nextId('user'),
      username: entry.username,
      name: entry.name,
      email: entry.email,
      publicEmail: entry.public_email ?? null,
      bot: entry.bot ?? false,
      admin: entry.admin ?? false,
      provisionedByGroupId: owner?.id ?? null,
      state: 'active',
      createdAt: now,
    };
    state.users.set(user.id, user);
    for (const token of entry.tokens) {
      const id = state.nextId('token');
      state.tokens.set(id, {
        id,
        userId: user.id,
        name: token.name,
        token: token.token,
        scopes: token.scopes,
        revoked: token.revoked ?? false,
        description: null,
        createdAt: now,
        expiresAt: token.expires_at ?? null,
        lastUsedAt: null,
      });
    }
  }
}

function seedGroups(state: ForgeState, fixture: ParsedFixture, now: number): void {
  const byDepth = [...fixture.groups].sort(
    (a, b) => a.full_path.split('/').length - b.full_path.split('/').length,
  );
  for (const entry of byDepth) {
    const parentPath = entry.full_path.split('/').slice(0, -1).join('/');
    const parent = parentPath === '' ? undefined : state.groupByFullPath(parentPath);
    if (parentPath !== '' && parent === undefined)
      throw new Error(`fixture group has no parent: ${entry.full_path}`);
    const group: Group = {
      id: state.nextId('namespace'),
      name: entry.name,
      path: entry.full_path.split('/').at(-1) ?? entry.full_path,
      fullPath: entry.full_path,
      parentId: parent?.id ?? null,
      description: entry.description,
      visibility: entry.visibility,
      createdAt: now,
    };
    state.groups.set(group.id, group);
  }
}

async function seedProject(
  state: ForgeState,
  store: RepositoryStore,
  entry: FixtureProject,
  now: number,
  userOf: (u: string) => User,
): Promise<void> {
  const namespacePath = entry.full_path.split('/').slice(0, -1).join('/');
  const namespace = state.groupByFullPath(namespacePath);
  if (namespace === undefined) throw new Error(`fixture project has no group: ${entry.full_path}`);
  const creator = userOf(entry.creator);
  const project: Project = {
    id: state.nextId('project'),
    name: entry.name,
    path: entry.full_path.split('/').at(-1) ?? entry.full_path,
    namespaceId: namespace.id,
    pathWithNamespace: entry.full_path,
    description: entry.description,
    defaultBranch: entry.default_branch,
    visibility: entry.visibility,
    createdAt: now,
    lastActivityAt: now,
    creatorId: creator.id,
  };
  state.projects.set(project.id, project);
  for (const member of entry.members) {
    state.memberships.push({
      sourceType: 'Project',
      sourceId: project.id,
      userId: userOf(member.user).id,
      accessLevel: member.access_level,
      createdAt: now,
      createdById: creator.id,
      expiresAt: null,
    });
  }
  const identity = (user: User): GitIdentity => ({ name: user.name, email: user.email });
  if (await store.exists(project.pathWithNamespace)) await store.remove(project.pathWithNamespace);
  await store.create(project.pathWithNamespace, {
    defaultBranch: project.defaultBranch,
    files: entry.files,
    author: identity(creator),
  });
  for (const branch of entry.branches) {
    await store.commit(project.pathWithNamespace, {
      branch: branch.name,
      startBranch: branch.from,
      message: branch.commit_message,
      author: identity(userOf(branch.author)),
      actions: Object.entries(branch.files).map(([filePath, content]) => ({
        action: entry.files[filePath] === undefined ? ('create' as const) : ('update' as const),
        filePath,
        content: Buffer.from(content),
      })),
    });
  }
  for (const issue of entry.issues) {
    const id = state.nextId('issue');
    state.issues.set(id, {
      id,
      iid: state.nextIid('issue', project.id),
      projectId: project.id,
      title: issue.title,
      description: issue.description,
      state: 'opened',
      authorId: userOf(issue.author).id,
      assigneeIds: issue.assignees.map((u) => userOf(u).id),
      labels: issue.labels,
      confidential: issue.confidential,
      discussionLocked: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedById: null,
      updatedById: null,
    });
  }
  for (const entryMr of entry.merge_requests) {
    const id = state.nextId('mergeRequest');
    const mr = {
      id,
      iid: state.nextIid('mergeRequest', project.id),
      projectId: project.id,
      title: entryMr.title,
      description: entryMr.description,
      state: 'opened' as const,
      authorId: userOf(entryMr.author).id,
      assigneeIds: entryMr.assignees.map((u) => userOf(u).id),
      reviewerIds: entryMr.reviewers.map((u) => userOf(u).id),
      labels: entryMr.labels,
      sourceBranch: entryMr.source_branch,
      targetBranch: entryMr.target_branch,
      removeSourceBranch: false,
      squash: false,
      draft: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      updatedById: null,
      versions: [],
    };
    state.mergeRequests.set(id, mr);
    await refreshMergeRequestVersion(state, store, project, mr);
  }
}
