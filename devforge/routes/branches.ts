import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { badRequest, forbidden, notFound } from '../forge-error.ts';
import type { BranchInfo } from '../git/repository-store.ts';
import { RepositoryError } from '../git/repository-store.ts';
import { canPushToBranch, wildcardMatches } from '../git-http-access.ts';
import { paginate } from '../pagination.ts';
import { parseParams } from '../params.ts';
import { commitEntity } from '../presenters/commits.ts';
import { accessLevels } from '../state/access-levels.ts';
import type { Project } from '../state/types.ts';
import { handlePush } from '../webhooks/push-events.ts';
import { pathParam } from './path-params.ts';
import { findProject, levelOnProject, requireProjectLevel } from './resolve.ts';

const createParams = z.object({ branch: z.string().min(1), ref: z.string().min(1) });
const listParams = z.object({ search: z.string().optional(), regex: z.string().optional() });

export function registerBranchRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const prefix = '/api/v4/projects/:id/repository/branches';
  const load = (request: FastifyRequest) => {
    const actor = ctx.actor(request);
    return { actor, project: findProject(ctx, actor, pathParam(request, 'id')) };
  };
  const present = (project: Project, branch: BranchInfo, level: number) => {
    const isProtected = [...ctx.state.protectedBranches.values()].some(
      (r) => r.projectId === project.id && wildcardMatches(r.name, branch.name),
    );
    const rule = [...ctx.state.protectedBranches.values()].find(
      (r) => r.projectId === project.id && wildcardMatches(r.name, branch.name),
    );
    return {
      name: branch.name,
      commit: commitEntity(ctx.urls, project, branch.commit),
      merged: false,
      protected: isProtected,
      developers_can_push: rule === undefined || rule.pushAccessLevel === accessLevels.developer,
      developers_can_merge: rule === undefined || rule.mergeAccessLevel === accessLevels.developer,
      can_push: canPushToBranch(ctx, project.id, branch.name, level),
      default: branch.name === project.defaultBranch,
      web_url: ctx.urls.web(`${project.pathWithNamespace}/-/tree/${branch.name}`),
    };
  };

  app.get(prefix, async (request, reply) => {
    const { actor, project } = load(request);
    const { search, regex } = parseParams(request, listParams);
    let branches = await ctx.store.listBranches(project.pathWithNamespace);
    if (search !== undefined) branches = branches.filter((b) => b.name.includes(search));
    if (regex !== undefined) {
      const pattern = safeRegex(regex);
      branches = branches.filter((b) => pattern.test(b.name));
    }
    const level = levelOnProject(ctx, actor, project);
    return paginate(request, reply, ctx.urls, branches).map((b) => present(project, b, level));
  });

  app.get(`${prefix}/:branch`, async (request) => {
    const { actor, project } = load(request);
    const name = pathParam(request, 'branch');
    const branch = (await ctx.store.listBranches(project.pathWithNamespace)).find(
      (b) => b.name === name,
    );
    if (branch === undefined) throw notFound('Branch');
    return present(project, branch, levelOnProject(ctx, actor, project));
  });

  app.post(prefix, async (request, reply) => {
    const { actor, project } = load(request);
    requireProjectLevel(ctx, actor, project, accessLevels.developer);
    const params = parseParams(request, createParams);
    const level = levelOnProject(ctx, actor, project);
    if (!canPushToBranch(ctx, project.id, params.branch, level)) throw forbidden();
    let branch: BranchInfo;
    try {
      branch = await ctx.store.createBranch(project.pathWithNamespace, params.branch, params.ref);
    } catch (error: unknown) {
      if (error instanceof RepositoryError && error.code === 'branch_exists')
        throw badRequest('Branch already exists');
      if (error instanceof RepositoryError && error.code === 'ref_not_found') {
        const valid = await ctx.store
          .resolveCommit(project.pathWithNamespace, params.ref)
          .catch(() => null);
        throw badRequest(
          valid === null ? 'Invalid reference name: ' + params.ref : 'Branch name is invalid',
        );
      }
      throw error;
    }
    const update = {
      ref: `refs/heads/${branch.name}`,
      oldSha: '0'.repeat(40),
      newSha: branch.commit.id,
    };
    await handlePush(ctx, request, project.id, actor.user.id, [update]);
    return reply.status(201).send(present(project, branch, level));
  });

  app.delete(`${prefix}/:branch`, async (request, reply) => {
    const { actor, project } = load(request);
    requireProjectLevel(ctx, actor, project, accessLevels.developer);
    const name = pathParam(request, 'branch');
    const level = levelOnProject(ctx, actor, project);
    if (name === project.defaultBranch || !canPushToBranch(ctx, project.id, name, level))
      throw forbidden();
    const sha = await ctx.store
      .resolveCommit(project.pathWithNamespace, `refs/heads/${name}`)
      .catch(() => null);
    if (sha === null) throw notFound('Branch');
    await ctx.store.deleteBranch(project.pathWithNamespace, name);
    await handlePush(ctx, request, project.id, actor.user.id, [
      { ref: `refs/heads/${name}`, oldSha: sha, newSha: '0'.repeat(40) },
    ]);
    return reply.status(204).send();
  });
}

function safeRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw badRequest('Regex is invalid');
  }
}
