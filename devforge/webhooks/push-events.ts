import type { FastifyRequest } from 'fastify';
import type { ForgeContext } from '../forge-context.ts';
import type { RefUpdate } from '../git/repository-store.ts';
import { hookProject, hookRepository } from '../presenters/projects.ts';
import { refreshMergeRequestVersion } from '../state/merge-request-versions.ts';
import type { Project, User } from '../state/types.ts';
import { mergeRequestHookPayload } from './hook-payloads.ts';

const zeroSha = '0'.repeat(40);

/**
 * After refs moved (git push or a REST commit): Push Hooks, then MR diff versions refreshed and
 * a Merge Request Hook (`action: update`, `oldrev`) for MRs whose source branch moved.
 */
export async function handlePush(
  ctx: ForgeContext,
  request: FastifyRequest | null,
  projectId: number,
  userId: number,
  updates: readonly RefUpdate[],
): Promise<void> {
  const project = ctx.state.projects.get(projectId);
  const user = ctx.state.users.get(userId);
  if (project === undefined || user === undefined) return;
  project.lastActivityAt = Date.now();
  const groupIds = ctx.state.groupChain(project.namespaceId).map((g) => g.id);
  for (const update of updates) {
    if (!update.ref.startsWith('refs/heads/')) continue;
    const branch = update.ref.slice('refs/heads/'.length);
    const payload = await pushPayload(ctx, project, user, update);
    ctx.webhooks.enqueue(
      request,
      { projectId, groupIds, branch },
      { flag: 'push_events', name: 'Push Hook', payload },
    );
    await refreshMergeRequests(ctx, request, project, user, branch, update);
  }
}

async function pushPayload(ctx: ForgeContext, project: Project, user: User, update: RefUpdate) {
  const path = project.pathWithNamespace;
  const deleted = update.newSha === zeroSha;
  const head = deleted ? null : await ctx.store.getCommit(path, update.newSha);
  const diffs =
    deleted || update.oldSha === zeroSha
      ? []
      : await ctx.store.diff(path, update.oldSha, update.newSha);
  const commits =
    head === null
      ? []
      : [
          {
            id: head.id,
            message: head.message,
            title: head.title,
            timestamp: head.authoredDate,
            url: ctx.urls.web(`${path}/-/commit/${head.id}`),
            author: { name: head.authorName, email: head.authorEmail },
            added: diffs.filter((d) => d.newFile).map((d) => d.newPath),
            modified: diffs.filter((d) => !d.newFile && !d.deletedFile).map((d) => d.newPath),
            removed: diffs.filter((d) => d.deletedFile).map((d) => d.oldPath),
          },
        ];
  const branch = update.ref.slice('refs/heads/'.length);
  return {
    object_kind: 'push',
    event_name: 'push',
    before: update.oldSha,
    after: update.newSha,
    ref: update.ref,
    ref_protected: [...ctx.state.protectedBranches.values()].some(
      (r) => r.projectId === project.id && r.name === branch,
    ),
    checkout_sha: deleted ? null : update.newSha,
    message: null,
    user_id: user.id,
    user_name: user.name,
    user_username: user.username,
    user_email: user.publicEmail ?? '',
    user_avatar: ctx.urls.avatar(user.email),
    project_id: project.id,
    project: hookProject(ctx.urls, project),
    commits,
    total_commits_count: commits.length,
    push_options: {},
    repository: hookRepository(ctx.urls, project),
  };
}

async function refreshMergeRequests(
  ctx: ForgeContext,
  request: FastifyRequest | null,
  project: Project,
  user: User,
  branch: string,
  update: RefUpdate,
): Promise<void> {
  for (const mr of ctx.state.mergeRequests.values()) {
    if (mr.projectId !== project.id || mr.state !== 'opened') continue;
    if (mr.sourceBranch !== branch && mr.targetBranch !== branch) continue;
    const changed = await refreshMergeRequestVersion(ctx.state, ctx.store, project, mr);
    if (!changed || mr.sourceBranch !== branch) continue;
    mr.updatedAt = Date.now();
    const payload = mergeRequestHookPayload(ctx.urls, ctx.state, user, project, mr, 'update', {});
    const attributes = payload.object_attributes as Record<string, unknown>;
    attributes.oldrev = update.oldSha;
    ctx.webhooks.enqueue(
      request,
      {
        projectId: project.id,
        groupIds: ctx.state.groupChain(project.namespaceId).map((g) => g.id),
      },
      { flag: 'merge_requests_events', name: 'Merge Request Hook', payload },
    );
  }
}
