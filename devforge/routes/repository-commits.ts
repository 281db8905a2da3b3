import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { notFound } from '../forge-error.ts';
import type { CommitAction, FileDiff } from '../git/repository-store.ts';
import { paginate } from '../pagination.ts';
import { boolParam, parseParams } from '../params.ts';
import { commitEntity } from '../presenters/commits.ts';
import type { Project } from '../state/types.ts';
import { handlePush } from '../webhooks/push-events.ts';
import { pathParam } from './path-params.ts';
import { withRepositoryErrors } from './repository-errors.ts';
import { authorOf, decodeContent, requirePush } from './repository-files.ts';
import { findProject } from './resolve.ts';

const actionSchema = z.object({
  action: z.enum(['create', 'delete', 'move', 'update', 'chmod']),
  file_path: z.string().min(1),
  previous_path: z.string().optional(),
  content: z.string().optional(),
  encoding: z.enum(['text', 'base64']).default('text'),
  last_commit_id: z.string().optional(),
  execute_filemode: boolParam.optional(),
});

const createParams = z.object({
  branch: z.string().min(1),
  commit_message: z.string().min(1),
  actions: z.preprocess(
    (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.values(v) : v),
    z.array(actionSchema).min(1),
  ),
  start_branch: z.string().optional(),
  start_sha: z.string().optional(),
  author_email: z.string().optional(),
  author_name: z.string().optional(),
  force: boolParam.optional(),
  stats: boolParam.default(true),
});

const treeParams = z.object({
  path: z.string().optional(),
  ref: z.string().optional(),
  recursive: boolParam.default(false),
});

function toAction(input: z.output<typeof actionSchema>): CommitAction {
  const content =
    input.content === undefined ? undefined : decodeContent(input.content, input.encoding);
  switch (input.action) {
    case 'delete':
      return { action: 'delete', filePath: input.file_path };
    case 'chmod':
      return {
        action: 'chmod',
        filePath: input.file_path,
        executeFilemode: input.execute_filemode ?? false,
      };
    case 'move':
      return {
        action: 'move',
        filePath: input.file_path,
        previousPath: input.previous_path ?? '',
        ...(content === undefined ? {} : { content }),
      };
    default:
      return {
        action: input.action,
        filePath: input.file_path,
        content: content ?? Buffer.alloc(0),
        ...(input.execute_filemode === undefined
          ? {}
          : { executeFilemode: input.execute_filemode }),
      };
  }
}

function statsOf(diffs: readonly FileDiff[]) {
  let additions = 0;
  let deletions = 0;
  for (const diff of diffs) {
    for (const line of diff.diff.split('\n')) {
      if (line.startsWith('+')) additions += 1;
      else if (line.startsWith('-')) deletions += 1;
    }
  }
  return { additions, deletions, total: additions + deletions };
}

export function registerRepositoryCommitRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const load = (request: FastifyRequest) => {
    const actor = ctx.actor(request);
    return { actor, project: findProject(ctx, actor, pathParam(request, 'id')) };
  };
  const stats = async (project: Project, sha: string, parent: string | undefined) =>
    statsOf(
      parent === undefined ? [] : await ctx.store.diff(project.pathWithNamespace, parent, sha),
    );

  app.post('/api/v4/projects/:id/repository/commits', async (request, reply) => {
    const { actor, project } = load(request);
    const params = parseParams(request, createParams);
    requirePush(ctx, actor, project, params.branch);
    const { commit, update } = await withRepositoryErrors(
      ctx.store.commit(project.pathWithNamespace, {
        branch: params.branch,
        ...(params.start_branch === undefined ? {} : { startBranch: params.start_branch }),
        ...(params.start_sha === undefined ? {} : { startSha: params.start_sha }),
        message: params.commit_message,
        actions: params.actions.map(toAction),
        author: authorOf(actor, params),
        committer: { name: actor.user.name, email: actor.user.email },
      }),
      'Commit',
    );
    await handlePush(ctx, request, project.id, actor.user.id, [update]);
    const body = {
      ...commitEntity(ctx.urls, project, commit),
      status: null,
      project_id: project.id,
      last_pipeline: null,
    };
    const withStats = params.stats
      ? { ...body, stats: await stats(project, commit.id, commit.parentIds[0]) }
      : body;
    return reply.status(201).send(withStats);
  });

  app.get('/api/v4/projects/:id/repository/commits/:sha', async (request) => {
    const { project } = load(request);
    const commit = await withRepositoryErrors(
      ctx.store.getCommit(project.pathWithNamespace, pathParam(request, 'sha')),
      'Commit',
    );
    if (commit === null) throw notFound('Commit');
    return {
      ...commitEntity(ctx.urls, project, commit),
      stats: await stats(project, commit.id, commit.parentIds[0]),
      status: null,
      project_id: project.id,
      last_pipeline: null,
    };
  });

  app.get('/api/v4/projects/:id/repository/tree', async (request, reply) => {
    const { project } = load(request);
    const params = parseParams(request, treeParams);
    const entries = await withRepositoryErrors(
      ctx.store.listTree(project.pathWithNamespace, params.ref ?? project.defaultBranch, {
        ...(params.path === undefined ? {} : { path: params.path }),
        recursive: params.recursive,
      }),
      'Tree',
    );
    return paginate(request, reply, ctx.urls, entries).map((e) => ({
      id: e.id,
      name: e.name,
      type: e.type,
      path: e.path,
      mode: e.mode,
    }));
  });
}
