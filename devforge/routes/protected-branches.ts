import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { conflict, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, intParam, parseParams } from '../params.ts';
import { accessLevelDescription, accessLevels } from '../state/access-levels.ts';
import type { ProtectedBranch } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { findProject, requireProjectLevel } from './resolve.ts';

const level = intParam.refine((value) => [0, 30, 40, 60].includes(value));

const createParams = z.object({
  name: z.string().min(1),
  push_access_level: level.default(40),
  merge_access_level: level.default(40),
  unprotect_access_level: level.default(40),
  allow_force_push: boolParam.default(false),
  code_owner_approval_required: boolParam.default(false),
});

const patchParams = z.object({
  allow_force_push: boolParam.optional(),
  code_owner_approval_required: boolParam.optional(),
});

function accessEntity(rule: ProtectedBranch, accessLevel: number, offset: number) {
  return {
    id: rule.id * 10 + offset,
    access_level: accessLevel,
    access_level_description: accessLevelDescription(accessLevel),
    deploy_key_id: null,
    user_id: null,
    group_id: null,
  };
}

export function protectedBranchEntity(rule: ProtectedBranch) {
  return {
    id: rule.id,
    name: rule.name,
    push_access_levels: [accessEntity(rule, rule.pushAccessLevel, 1)],
    merge_access_levels: [accessEntity(rule, rule.mergeAccessLevel, 2)],
    unprotect_access_levels: [accessEntity(rule, rule.unprotectAccessLevel, 3)],
    allow_force_push: rule.allowForcePush,
    code_owner_approval_required: rule.codeOwnerApprovalRequired,
    inherited: false,
  };
}

export function registerProtectedBranchRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const prefix = '/api/v4/projects/:id/protected_branches';
  const load = (request: FastifyRequest, write: boolean) => {
    const actor = ctx.actor(request);
    const project = findProject(ctx, actor, pathParam(request, 'id'));
    requireProjectLevel(
      ctx,
      actor,
      project,
      write ? accessLevels.maintainer : accessLevels.developer,
    );
    return project;
  };
  const rulesOf = (projectId: number) =>
    [...ctx.state.protectedBranches.values()].filter((r) => r.projectId === projectId);
  const findRule = (request: FastifyRequest, projectId: number) => {
    const rule = rulesOf(projectId).find((r) => r.name === pathParam(request, 'name'));
    if (rule === undefined) throw notFound('Protected Branch');
    return rule;
  };

  app.get(prefix, (request, reply) => {
    const project = load(request, false);
    return paginate(request, reply, ctx.urls, rulesOf(project.id)).map(protectedBranchEntity);
  });

  app.get(`${prefix}/:name`, (request) =>
    protectedBranchEntity(findRule(request, load(request, false).id)),
  );

  app.post(prefix, async (request, reply) => {
    const project = load(request, true);
    const params = parseParams(request, createParams);
    if (rulesOf(project.id).some((r) => r.name === params.name)) {
      throw conflict(`Protected branch '${params.name}' already exists`);
    }
    const rule: ProtectedBranch = {
      id: ctx.state.nextId('protectedBranch'),
      projectId: project.id,
      name: params.name,
      pushAccessLevel: params.push_access_level,
      mergeAccessLevel: params.merge_access_level,
      unprotectAccessLevel: params.unprotect_access_level,
      allowForcePush: params.allow_force_push,
      codeOwnerApprovalRequired: params.code_owner_approval_required,
    };
    ctx.state.protectedBranches.set(rule.id, rule);
    return reply.status(201).send(protectedBranchEntity(rule));
  });

  app.patch(`${prefix}/:name`, (request) => {
    const rule = findRule(request, load(request, true).id);
    const params = parseParams(request, patchParams);
    if (params.allow_force_push !== undefined) rule.allowForcePush = params.allow_force_push;
    if (params.code_owner_approval_required !== undefined)
      rule.codeOwnerApprovalRequired = params.code_owner_approval_required;
    return protectedBranchEntity(rule);
  });

  app.delete(`${prefix}/:name`, async (request, reply) => {
    const rule = findRule(request, load(request, true).id);
    ctx.state.protectedBranches.delete(rule.id);
    return reply.status(204).send();
  });
}
