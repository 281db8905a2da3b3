import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor, ForgeContext } from '../forge-context.ts';
import { badRequest, forbidden, notFound } from '../forge-error.ts';
import type { CommitAction } from '../git/repository-store.ts';
import { canPushToBranch } from '../git-http-access.ts';
import { boolParam, parseParams } from '../params.ts';
import { accessLevels } from '../state/access-levels.ts';
import type { Project } from '../state/types.ts';
import { handlePush } from '../webhooks/push-events.ts';
import { pathParam } from './path-params.ts';
import { withRepositoryErrors } from './repository-errors.ts';
import { findProject, levelOnProject, requireProjectLevel } from './resolve.ts';

const readParams = z.object({ ref: z.string().min(1) });
const rawParams = z.object({ ref: z.string().min(1).optional() });

const writeParams = z.object({
  branch: z.string().min(1),
  commit_message: z.string().min(1),
  content: z.string().optional(),
  encoding: z.enum(['text', 'base64']).default('text'),
  start_branch: z.string().optional(),
  author_email: z.string().optional(),
  author_name: z.string().optional(),
  last_commit_id: z.string().optional(),
  execute_filemode: boolParam.optional(),
});

export function decodeContent(content: string, encoding: 'text' | 'base64'): Buffer {
  return encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
}

/** The commit author: the caller, unless the request names another (as GitLab allows). */
export function authorOf(
  actor: Actor,
  params: { author_name?: string | undefined; author_email?: string | undefined },
) {
  return {
    name: params.author_name ?? actor.user.name,
    email: params.author_email ?? actor.user.email,
  };
}

export function requirePush(
  ctx: ForgeContext,
  actor: Actor,
  project: Project,
  branch: string,
): void {
  requireProjectLevel(ctx, actor, project, accessLevels.developer);
  if (!canPushToBranch(ctx, project.id, branch, levelOnProject(ctx, actor, project))) {
    throw forbidden('You are not allowed to push into this branch');
  }
}

export function registerRepositoryFileRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const path = '/api/v4/projects/:id/repository/files/:file_path';
  const load = (request: FastifyRequest) => {
    const actor = ctx.actor(request);
    return {
      actor,
      project: findProject(ctx, actor, pathParam(request, 'id')),
      filePath: pathParam(request, 'file_path'),
    };
  };

  app.get(path, async (request, reply) => {
    const { project, filePath } = load(request);
    const { ref } = parseParams(request, readParams);
    const blob = await withRepositoryErrors(
      ctx.store.readFile(project.pathWithNamespace, ref, filePath),
      'File',
    );
    if (blob === null) throw notFound('File');
    void reply.headers({
      'X-Gitlab-Blob-Id': blob.blobId,
      'X-Gitlab-Commit-Id': blob.commitId,
      'X-Gitlab-Last-Commit-Id': blob.lastCommitId,
      'X-Gitlab-File-Name': blob.fileName,
      'X-Gitlab-File-Path': blob.filePath,
      'X-Gitlab-Ref': ref,
      'X-Gitlab-Size': String(blob.size),
      'X-Gitlab-Encoding': 'base64',
    });
    return {
      file_name: blob.fileName,
      file_path: blob.filePath,
      size: blob.size,
      encoding: 'base64',
      content_sha256: createHash('sha256').update(blob.content).digest('hex'),
      ref,
      blob_id: blob.blobId,
      commit_id: blob.commitId,
      last_commit_id: blob.lastCommitId,
      execute_filemode: blob.executeFilemode,
      content: blob.content.toString('base64'),
    };
  });

  app.get(`${path}/raw`, async (request, reply) => {
    const { project, filePath } = load(request);
    const ref = parseParams(request, rawParams).ref ?? project.defaultBranch;
    const blob = await withRepositoryErrors(
      ctx.store.readFile(project.pathWithNamespace, ref, filePath),
      'File',
    );
    if (blob === null) throw notFound('File');
    return reply
      .header('Content-Type', 'text/plain; charset=utf-8')
      .header('X-Gitlab-Blob-Id', blob.blobId)
      .header('X-Gitlab-Commit-Id', blob.commitId)
      .send(blob.content);
  });

  const write = (action: 'create' | 'update' | 'delete') => async (request: FastifyRequest) => {
    const { actor, project, filePath } = load(request);
    const params = parseParams(request, writeParams);
    if (action !== 'delete' && params.content === undefined)
      throw badRequest('400 Bad request - content is missing');
    requirePush(ctx, actor, project, params.branch);
    const commitAction: CommitAction =
      action === 'delete'
        ? { action, filePath }
        : {
            action,
            filePath,
            content: decodeContent(params.content ?? '', params.encoding),
            ...(params.execute_filemode === undefined
              ? {}
              : { executeFilemode: params.execute_filemode }),
          };
    const { update } = await withRepositoryErrors(
      ctx.store.commit(project.pathWithNamespace, {
        branch: params.branch,
        ...(params.start_branch === undefined ? {} : { startBranch: params.start_branch }),
        message: params.commit_message,
        actions: [commitAction],
        author: authorOf(actor, params),
      }),
      'File',
    );
    await handlePush(ctx, request, project.id, actor.user.id, [update]);
    return { file_path: filePath, branch: params.branch };
  };

  app.post(path, async (request, reply) => reply.status(201).send(await write('create')(request)));
  app.put(path, async (request) => write('update')(request));
  app.delete(path, async (request, reply) => {
    await write('delete')(request);
    return reply.status(204).send();
  });
}
