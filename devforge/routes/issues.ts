import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor, ForgeContext } from '../forge-context.ts';
import { forbidden } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, intListParam, intParam, labelsParam, parseParams } from '../params.ts';
import { issueEntity } from '../presenters/issuables.ts';
import { hookTime } from '../presenters/time.ts';
import { accessLevels } from '../state/access-levels.ts';
import type { Issue, Project } from '../state/types.ts';
import { hookUsersFor, issueHookPayload, type Changes } from '../webhooks/hook-payloads.ts';
import { pathParam } from './path-params.ts';
import { findIssue, findProject, levelOnProject, requireProjectLevel } from './resolve.ts';

const listParams = z.object({
  state: z.enum(['opened', 'closed', 'all']).optional(),
  labels: labelsParam.optional(),
  assignee_id: z.union([intParam, z.enum(['None', 'Any'])]).optional(),
  author_id: intParam.optional(),
  iids: intListParam.optional(),
  search: z.string().optional(),
  sort: z.enum(['asc', 'desc']).default('desc'),
});

const createParams = z.object({
  title: z.string().min(1),
  description: z.string().max(1_048_576).optional(),
  assignee_ids: intListParam.optional(),
  labels: labelsParam.optional(),
  confidential: boolParam.optional(),
});

const editParams = z.object({
  title: z.string().min(1).optional(),
  description: z.string().max(1_048_576).optional(),
  assignee_ids: intListParam.optional(),
  assignee_id: intParam.optional(),
  labels: labelsParam.optional(),
  add_labels: labelsParam.optional(),
  remove_labels: labelsParam.optional(),
  state_event: z.enum(['close', 'reopen']).optional(),
  confidential: boolParam.optional(),
  discussion_locked: boolParam.optional(),
});

function visibleTo(ctx: ForgeContext, actor: Actor, project: Project, issue: Issue): boolean {
  if (!issue.confidential) return true;
  return (
    levelOnProject(ctx, actor, project) >= accessLevels.reporter ||
    issue.authorId === actor.user.id ||
    issue.assigneeIds.includes(actor.user.id)
  );
}

function knownUserIds(ctx: ForgeContext, ids: readonly number[]): number[] {
  return [...new Set(ids.filter((id) => id !== 0 && ctx.state.users.has(id)))];
}

export function registerIssueRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const load = (request: FastifyRequest) => {
    const actor = ctx.actor(request);
    const project = findProject(ctx, actor, pathParam(request, 'id'));
    return { actor, project };
  };

  app.get('/api/v4/projects/:id/issues', (request, reply) => {
    const { actor, project } = load(request);
    const q = parseParams(request, listParams);
    const issues = [...ctx.state.issues.values()].filter((issue) => {
      if (issue.projectId !== project.id || !visibleTo(ctx, actor, project, issue)) return false;
      if (q.state !== undefined && q.state !== 'all' && issue.state !== q.state) return false;
      if (q.labels !== undefined && !q.labels.every((l) => issue.labels.includes(l))) return false;
      if (q.assignee_id === 'None' && issue.assigneeIds.length > 0) return false;
      if (q.assignee_id === 'Any' && issue.assigneeIds.length === 0) return false;
      if (typeof q.assignee_id === 'number' && !issue.assigneeIds.includes(q.assignee_id))
        return false;
      if (q.author_id !== undefined && issue.authorId !== q.author_id) return false;
      if (q.iids !== undefined && !q.iids.includes(issue.iid)) return false;
      const search = q.search?.toLowerCase();
      return (
        search === undefined || `${issue.title} ${issue.description}`.toLowerCase().includes(search)
      );
    });
    issues.sort((a, b) => (q.sort === 'asc' ? a.id - b.id : b.id - a.id));
    return paginate(request, reply, ctx.urls, issues).map((i) =>
      issueEntity(ctx.urls, ctx.state, project, i),
    );
  });

  app.get('/api/v4/projects/:id/issues/:issue_iid', (request) => {
    const { actor, project } = load(request);
    const issue = findIssue(ctx, project, pathParam(request, 'issue_iid'));
    if (!visibleTo(ctx, actor, project, issue)) throw forbidden();
    return issueEntity(ctx.urls, ctx.state, project, issue);
  });

  app.post('/api/v4/projects/:id/issues', async (request, reply) => {
    const { actor, project } = load(request);
    requireProjectLevel(ctx, actor, project, accessLevels.guest);
    const params = parseParams(request, createParams);
    const now = Date.now();
    const issue: Issue = {
      id: ctx.state.nextId('issue'),
      iid: ctx.state.nextIid('issue', project.id),
      projectId: project.id,
      title: params.title,
      description: params.description ?? '',
      state: 'opened',
      authorId: actor.user.id,
      assigneeIds: knownUserIds(ctx, params.assignee_ids ?? []),
      labels: params.labels ?? [],
      confidential: params.confidential ?? false,
      discussionLocked: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedById: null,
      updatedById: null,
    };
    ctx.state.issues.set(issue.id, issue);
    emitIssueHook(ctx, request, actor, project, issue, 'open', {});
    return reply.status(201).send(issueEntity(ctx.urls, ctx.state, project, issue));
  });

  app.put('/api/v4/projects/:id/issues/:issue_iid', (request) => {
    const { actor, project } = load(request);
    const issue = findIssue(ctx, project, pathParam(request, 'issue_iid'));
    if (
      levelOnProject(ctx, actor, project) < accessLevels.reporter &&
      issue.authorId !== actor.user.id
    ) {
      throw forbidden();
    }
    const params = parseParams(request, editParams);
    const { changes, action } = applyIssueEdit(ctx, actor, issue, params);
    if (Object.keys(changes).length > 0) {
      emitIssueHook(ctx, request, actor, project, issue, action, changes);
    }
    return issueEntity(ctx.urls, ctx.state, project, issue);
  });
}

function applyIssueEdit(
  ctx: ForgeContext,
  actor: Actor,
  issue: Issue,
  params: z.output<typeof editParams>,
): { changes: Changes; action: 'update' | 'close' | 'reopen' } {
  const changes: Changes = {};
  const before = { ...issue, assigneeIds: [...issue.assigneeIds], labels: [...issue.labels] };
  if (params.title !== undefined) issue.title = params.title;
  if (params.description !== undefined) issue.description = params.description;
  if (params.confidential !== undefined) issue.confidential = params.confidential;
  if (params.discussion_locked !== undefined) issue.discussionLocked = params.discussion_locked;
  const assignees =
    params.assignee_ids ?? (params.assignee_id === undefined ? undefined : [params.assignee_id]);
  if (assignees !== undefined) issue.assigneeIds = knownUserIds(ctx, assignees);
  if (params.labels !== undefined) issue.labels = [...new Set(params.labels)];
  if (params.add_labels !== undefined)
    issue.labels = [...new Set([...issue.labels, ...params.add_labels])];
  if (params.remove_labels !== undefined) {
    issue.labels = issue.labels.filter((label) => !params.remove_labels?.includes(label));
  }
  let action: 'update' | 'close' | 'reopen' = 'update';
  if (params.state_event === 'close' && issue.state === 'opened') {
    Object.assign(issue, { state: 'closed', closedAt: Date.now(), closedById: actor.user.id });
    action = 'close';
  } else if (params.state_event === 'reopen' && issue.state === 'closed') {
    Object.assign(issue, { state: 'opened', closedAt: null, closedById: null });
    action = 'reopen';
  }
  for (const key of ['title', 'description', 'confidential', 'discussionLocked'] as const) {
    if (before[key] !== issue[key]) {
      changes[key === 'discussionLocked' ? 'discussion_locked' : key] = {
        previous: before[key],
        current: issue[key],
      };
    }
  }
  if (before.state !== issue.state) {
    changes.state_id = {
      previous: before.state === 'opened' ? 1 : 2,
      current: issue.state === 'opened' ? 1 : 2,
    };
    changes.closed_at = {
      previous: before.closedAt === null ? null : hookTime(before.closedAt),
      current: issue.closedAt === null ? null : hookTime(issue.closedAt),
    };
  }
  if (before.assigneeIds.join() !== issue.assigneeIds.join()) {
    changes.assignees = {
      previous: hookUsersFor(ctx.urls, ctx.state, before.assigneeIds),
      current: hookUsersFor(ctx.urls, ctx.state, issue.assigneeIds),
    };
  }
  if (before.labels.join() !== issue.labels.join()) {
    changes.labels = {
      previous: before.labels.map((title, i) => ({ id: i + 1, title })),
      current: issue.labels.map((title, i) => ({ id: i + 1, title })),
    };
  }
  if (Object.keys(changes).length > 0) {
    const now = Date.now();
    changes.updated_at = { previous: hookTime(before.updatedAt), current: hookTime(now) };
    changes.updated_by_id = { previous: before.updatedById, current: actor.user.id };
    issue.updatedAt = now;
    issue.updatedById = actor.user.id;
  }
  return { changes, action };
}

function emitIssueHook(
  ctx: ForgeContext,
  request: FastifyRequest,
  actor: Actor,
  project: Project,
  issue: Issue,
  action: 'open' | 'close' | 'reopen' | 'update',
  changes: Changes,
): void {
  const payload = issueHookPayload(
    ctx.urls,
    ctx.state,
    actor.user,
    project,
    issue,
    action,
    changes,
  );
  ctx.webhooks.enqueue(
    request,
    { projectId: project.id, groupIds: ctx.state.groupChain(project.namespaceId).map((g) => g.id) },
    {
      flag: issue.confidential ? 'confidential_issues_events' : 'issues_events',
      name: issue.confidential ? 'Confidential Issue Hook' : 'Issue Hook',
      payload,
    },
  );
}
