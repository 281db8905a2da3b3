import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor, ForgeContext } from '../forge-context.ts';
import { ForgeError, conflict } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, intListParam, intParam, labelsParam, parseParams } from '../params.ts';
import { mergeRequestEntity } from '../presenters/issuables.ts';
import { hookTime } from '../presenters/time.ts';
import { accessLevels } from '../state/access-levels.ts';
import { refreshMergeRequestVersion } from '../state/merge-request-versions.ts';
import type { MergeRequest, Project } from '../state/types.ts';
import { hookUsersFor, mergeRequestHookPayload, type Changes } from '../webhooks/hook-payloads.ts';
import { pathParam } from './path-params.ts';
import { findMergeRequest, findProject, requireProjectLevel } from './resolve.ts';

const listParams = z.object({
  state: z.enum(['opened', 'closed', 'locked', 'merged', 'all']).optional(),
  source_branch: z.string().optional(),
  target_branch: z.string().optional(),
  author_id: intParam.optional(),
  assignee_id: intParam.optional(),
  reviewer_id: intParam.optional(),
  reviewer_username: z.string().optional(),
  labels: labelsParam.optional(),
  iids: intListParam.optional(),
  sort: z.enum(['asc', 'desc']).default('desc'),
});

const createParams = z.object({
  source_branch: z.string().min(1),
  target_branch: z.string().min(1),
  title: z.string().min(1).max(255),
  description: z.string().max(1_048_576).optional(),
  assignee_ids: intListParam.optional(),
  assignee_id: intParam.optional(),
  reviewer_ids: intListParam.optional(),
  labels: labelsParam.optional(),
  remove_source_branch: boolParam.optional(),
  squash: boolParam.optional(),
  target_project_id: intParam.optional(),
  allow_collaboration: boolParam.optional(),
});

const editParams = z.object({
  title: z.string().min(1).max(255).optional(),
  description: z.string().max(1_048_576).optional(),
  assignee_ids: intListParam.optional(),
  assignee_id: intParam.optional(),
  reviewer_ids: intListParam.optional(),
  labels: labelsParam.optional(),
  add_labels: labelsParam.optional(),
  remove_labels: labelsParam.optional(),
  target_branch: z.string().min(1).optional(),
  state_event: z.enum(['close', 'reopen']).optional(),
  remove_source_branch: boolParam.optional(),
  squash: boolParam.optional(),
  draft: boolParam.optional(),
});

const isDraftTitle = (title: string) => /^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s)/i.test(title);

function knownUserIds(ctx: ForgeContext, ids: readonly number[]): number[] {
  return [...new Set(ids.filter((id) => id !== 0 && ctx.state.users.has(id)))];
}

export function registerMergeRequestRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const load = (request: FastifyRequest) => {
    const actor = ctx.actor(request);
    return { actor, project: findProject(ctx, actor, pathParam(request, 'id')) };
  };
  const present = (project: Project, mr: MergeRequest) =>
    mergeRequestEntity(ctx.urls, ctx.state, project, mr);

  app.get('/api/v4/projects/:id/merge_requests', (request, reply) => {
    const { project } = load(request);
    const q = parseParams(request, listParams);
    const reviewer =
      q.reviewer_username === undefined ? undefined : ctx.state.userByUsername(q.reviewer_username);
    const mrs = [...ctx.state.mergeRequests.values()].filter((mr) => {
      if (mr.projectId !== project.id) return false;
      if (q.state !== undefined && q.state !== 'all' && mr.state !== q.state) return false;
      if (q.source_branch !== undefined && mr.sourceBranch !== q.source_branch) return false;
      if (q.target_branch !== undefined && mr.targetBranch !== q.target_branch) return false;
      if (q.author_id !== undefined && mr.authorId !== q.author_id) return false;
      if (q.assignee_id !== undefined && !mr.assigneeIds.includes(q.assignee_id)) return false;
      if (q.reviewer_id !== undefined && !mr.reviewerIds.includes(q.reviewer_id)) return false;
      if (
        q.reviewer_username !== undefined &&
        (reviewer === undefined || !mr.reviewerIds.includes(reviewer.id))
      )
        return false;
      if (q.labels !== undefined && !q.labels.every((l) => mr.labels.includes(l))) return false;
      return q.iids === undefined || q.iids.includes(mr.iid);
    });
    mrs.sort((a, b) => (q.sort === 'asc' ? a.id - b.id : b.id - a.id));
    return paginate(request, reply, ctx.urls, mrs).map((mr) => present(project, mr));
  });

  app.get('/api/v4/projects/:id/merge_requests/:merge_request_iid', (request) => {
    const { project } = load(request);
    return present(
      project,
      findMergeRequest(ctx, project, pathParam(request, 'merge_request_iid')),
    );
  });

  app.post('/api/v4/projects/:id/merge_requests', async (request, reply) => {
    const { actor, project } = load(request);
    requireProjectLevel(ctx, actor, project, accessLevels.developer);
    const params = parseParams(request, createParams);
    await validateBranches(ctx, project, params.source_branch, params.target_branch);
    const now = Date.now();
    const mr: MergeRequest = {
      id: ctx.state.nextId('mergeRequest'),
      iid: ctx.state.nextIid('mergeRequest', project.id),
      projectId: project.id,
      title: params.title,
      description: params.description ?? '',
      state: 'opened',
      authorId: actor.user.id,
      assigneeIds: knownUserIds(
        ctx,
        params.assignee_ids ?? (params.assignee_id === undefined ? [] : [params.assignee_id]),
      ),
      reviewerIds: knownUserIds(ctx, params.reviewer_ids ?? []),
      labels: params.labels ?? [],
      sourceBranch: params.source_branch,
      targetBranch: params.target_branch,
      removeSourceBranch: params.remove_source_branch ?? false,
      squash: params.squash ?? false,
      draft: isDraftTitle(params.title),
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      updatedById: null,
      versions: [],
    };
    ctx.state.mergeRequests.set(mr.id, mr);
    await refreshMergeRequestVersion(ctx.state, ctx.store, project, mr);
    emitMergeRequestHook(ctx, request, actor, project, mr, 'open', {});
    return reply.status(201).send(present(project, mr));
  });

  app.put('/api/v4/projects/:id/merge_requests/:merge_request_iid', async (request) => {
    const { actor, project } = load(request);
    const mr = findMergeRequest(ctx, project, pathParam(request, 'merge_request_iid'));
    if (mr.authorId !== actor.user.id)
      requireProjectLevel(ctx, actor, project, accessLevels.developer);
    const params = parseParams(request, editParams);
    if (params.target_branch !== undefined && params.target_branch !== mr.targetBranch) {
      await validateBranches(ctx, project, mr.sourceBranch, params.target_branch, mr.id);
    }
    const { changes, action } = applyEdit(ctx, actor, mr, params);
    if (changes.target_branch !== undefined)
      await refreshMergeRequestVersion(ctx.state, ctx.store, project, mr);
    if (Object.keys(changes).length > 0)
      emitMergeRequestHook(ctx, request, actor, project, mr, action, changes);
    return present(project, mr);
  });
}

async function validateBranches(
  ctx: ForgeContext,
  project: Project,
  source: string,
  target: string,
  selfId?: number,
): Promise<void> {
  if (source === target) {
    throw new ForgeError(422, {
      message: ["You can't use same project/branch for source and target"],
    });
  }
  const path = project.pathWithNamespace;
  const branches = new Set((await ctx.store.listBranches(path)).map((b) => b.name));
  const errors: string[] = [];
  if (!branches.has(source)) errors.push(`Source branch "${source}" does not exist`);
  if (!branches.has(target)) errors.push(`Target branch "${target}" does not exist`);
  if (errors.length > 0) throw new ForgeError(422, { message: errors });
  const duplicate = [...ctx.state.mergeRequests.values()].find(
    (mr) =>
      mr.projectId === project.id &&
      mr.state === 'opened' &&
      mr.sourceBranch === source &&
      mr.targetBranch === target &&
      mr.id !== selfId,
  );
  if (duplicate !== undefined) {
    throw conflict([
      `Another open merge request already exists for this source branch: !${duplicate.iid}`,
    ]);
  }
}

function applyEdit(
  ctx: ForgeContext,
  actor: Actor,
  mr: MergeRequest,
  params: z.output<typeof editParams>,
) {
  const before = {
    ...mr,
    assigneeIds: [...mr.assigneeIds],
    reviewerIds: [...mr.reviewerIds],
    labels: [...mr.labels],
  };
  if (params.title !== undefined) mr.title = params.title;
  if (params.description !== undefined) mr.description = params.description;
  if (params.target_branch !== undefined) mr.targetBranch = params.target_branch;
  if (params.remove_source_branch !== undefined)
    mr.removeSourceBranch = params.remove_source_branch;
  if (params.squash !== undefined) mr.squash = params.squash;
  mr.draft = params.draft ?? (params.title === undefined ? mr.draft : isDraftTitle(mr.title));
  const assignees =
    params.assignee_ids ?? (params.assignee_id === undefined ? undefined : [params.assignee_id]);
  if (assignees !== undefined) mr.assigneeIds = knownUserIds(ctx, assignees);
  if (params.reviewer_ids !== undefined) mr.reviewerIds = knownUserIds(ctx, params.reviewer_ids);
  if (params.labels !== undefined) mr.labels = [...new Set(params.labels)];
  if (params.add_labels !== undefined)
    mr.labels = [...new Set([...mr.labels, ...params.add_labels])];
  if (params.remove_labels !== undefined)
    mr.labels = mr.labels.filter((l) => !params.remove_labels?.includes(l));
  let action: 'update' | 'close' | 'reopen' = 'update';
  if (params.state_event === 'close' && mr.state === 'opened') {
    Object.assign(mr, { state: 'closed', closedAt: Date.now() });
    action = 'close';
  } else if (params.state_event === 'reopen' && mr.state === 'closed') {
    Object.assign(mr, { state: 'opened', closedAt: null });
    action = 'reopen';
  }
  const changes: Changes = {};
  const scalar = {
    title: 'title',
    description: 'description',
    targetBranch: 'target_branch',
    draft: 'draft',
    state: 'state_id',
  } as const;
  for (const [key, name] of Object.entries(scalar) as [keyof typeof scalar, string][]) {
    if (before[key] !== mr[key]) changes[name] = { previous: before[key], current: mr[key] };
  }
  if (changes.state_id !== undefined) {
    const ids = { opened: 1, closed: 2, merged: 3, locked: 4 };
    changes.state_id = { previous: ids[before.state], current: ids[mr.state] };
  }
  for (const [key, name] of [
    ['assigneeIds', 'assignees'],
    ['reviewerIds', 'reviewers'],
  ] as const) {
    if (before[key].join() !== mr[key].join()) {
      changes[name] = {
        previous: hookUsersFor(ctx.urls, ctx.state, before[key]),
        current: hookUsersFor(ctx.urls, ctx.state, mr[key]),
      };
    }
  }
  if (before.labels.join() !== mr.labels.join()) {
    changes.labels = {
      previous: before.labels.map((title) => ({ title })),
      current: mr.labels.map((title) => ({ title })),
    };
  }
  if (Object.keys(changes).length > 0) {
    const now = Date.now();
    changes.updated_at = { previous: hookTime(before.updatedAt), current: hookTime(now) };
    changes.updated_by_id = { previous: before.updatedById, current: actor.user.id };
    mr.updatedAt = now;
    mr.updatedById = actor.user.id;
  }
  return { changes, action };
}

function emitMergeRequestHook(
  ctx: ForgeContext,
  request: FastifyRequest,
  actor: Actor,
  project: Project,
  mr: MergeRequest,
  action: 'open' | 'close' | 'reopen' | 'update',
  changes: Changes,
): void {
  const payload = mergeRequestHookPayload(
    ctx.urls,
    ctx.state,
    actor.user,
    project,
    mr,
    action,
    changes,
  );
  ctx.webhooks.enqueue(
    request,
    { projectId: project.id, groupIds: ctx.state.groupChain(project.namespaceId).map((g) => g.id) },
    { flag: 'merge_requests_events', name: 'Merge Request Hook', payload },
  );
}
