import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { badRequest, conflict, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, parseParams, stringParam } from '../params.ts';
import { accessLevels } from '../state/access-levels.ts';
import type { CiVariable } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { findProject, requireProjectLevel } from './resolve.ts';

const createParams = z.object({
  key: z.string().min(1),
  value: stringParam,
  variable_type: z.enum(['env_var', 'file']).default('env_var'),
  protected: boolParam.default(false),
  masked: boolParam.default(false),
  masked_and_hidden: boolParam.default(false),
  raw: boolParam.default(false),
  environment_scope: z.string().min(1).default('*'),
  description: z.string().max(255).nullable().optional(),
});

const updateParams = z.object({
  value: stringParam.optional(),
  variable_type: z.enum(['env_var', 'file']).optional(),
  protected: boolParam.optional(),
  masked: boolParam.optional(),
  raw: boolParam.optional(),
  environment_scope: z.string().min(1).optional(),
  description: z.string().max(255).nullable().optional(),
  filter: z.object({ environment_scope: z.string().optional() }).optional(),
});

const scopeFilter = z.object({
  filter: z.object({ environment_scope: z.string().optional() }).optional(),
});

/** GitLab's rules: single line, ≥ 8 characters, letters, digits and `@ _ - : + . ~ = /` only. */
const maskable = /^[A-Za-z0-9@_\-:+.~=/]{8,}$/;

/** Hidden values are never returned by the API, not even to maintainers. */
export function variableEntity(variable: CiVariable) {
  return {
    variable_type: variable.variableType,
    key: variable.key,
    value: variable.hidden ? null : variable.value,
    hidden: variable.hidden,
    protected: variable.protected,
    masked: variable.masked,
    raw: variable.raw,
    environment_scope: variable.environmentScope,
    description: variable.description,
  };
}

function validate(variable: CiVariable): void {
  if (!/^[A-Za-z0-9_]{1,255}$/.test(variable.key)) {
    throw badRequest({ key: ["can contain only letters, digits and '_'."] });
  }
  if (variable.masked && !maskable.test(variable.value))
    throw badRequest({ value: ['is invalid'] });
}

export function registerVariableRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const prefix = '/api/v4/projects/:id/variables';
  const load = (request: FastifyRequest) => {
    const actor = ctx.actor(request);
    const project = findProject(ctx, actor, pathParam(request, 'id'));
    requireProjectLevel(ctx, actor, project, accessLevels.maintainer);
    return project;
  };
  const find = (request: FastifyRequest, projectId: number, scope: string | undefined) => {
    const key = pathParam(request, 'key');
    const matches = ctx.state.variables.filter(
      (v) =>
        v.projectId === projectId &&
        v.key === key &&
        (scope === undefined || v.environmentScope === scope),
    );
    const [first] = matches;
    if (first === undefined) throw notFound('Variable');
    if (matches.length > 1) {
      throw conflict(
        "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
      );
    }
    return first;
  };

  app.get(prefix, (request, reply) => {
    const project = load(request);
    return paginate(
      request,
      reply,
      ctx.urls,
      ctx.state.variables.filter((v) => v.projectId === project.id),
    ).map(variableEntity);
  });

  app.get(`${prefix}/:key`, (request) => {
    const project = load(request);
    return variableEntity(
      find(request, project.id, parseParams(request, scopeFilter).filter?.environment_scope),
    );
  });

  app.post(prefix, async (request, reply) => {
    const project = load(request);
    const p = parseParams(request, createParams);
    const variable: CiVariable = {
      projectId: project.id,
      key: p.key,
      value: p.value,
      variableType: p.variable_type,
      masked: p.masked || p.masked_and_hidden,
      hidden: p.masked_and_hidden,
      protected: p.protected,
      raw: p.raw,
      environmentScope: p.environment_scope,
      description: p.description ?? null,
    };
    validate(variable);
    if (
      ctx.state.variables.some(
        (v) =>
          v.projectId === project.id &&
          v.key === p.key &&
          v.environmentScope === p.environment_scope,
      )
    ) {
      throw badRequest({ key: [`(${p.key}) has already been taken`] });
    }
    ctx.state.variables.push(variable);
    return reply.status(201).send(variableEntity(variable));
  });

  app.put(`${prefix}/:key`, (request) => {
    const project = load(request);
    const p = parseParams(request, updateParams);
    const variable = find(request, project.id, p.filter?.environment_scope);
    const next: CiVariable = {
      ...variable,
      ...(p.value === undefined ? {} : { value: p.value }),
      ...(p.variable_type === undefined ? {} : { variableType: p.variable_type }),
      ...(p.protected === undefined ? {} : { protected: p.protected }),
      ...(p.raw === undefined ? {} : { raw: p.raw }),
      ...(p.environment_scope === undefined ? {} : { environmentScope: p.environment_scope }),
      ...(p.description === undefined ? {} : { description: p.description }),
      // A hidden variable stays masked; GitLab refuses to unmask it.
      masked: variable.hidden ? true : (p.masked ?? variable.masked),
    };
    validate(next);
    Object.assign(variable, next);
    return variableEntity(variable);
  });

  app.delete(`${prefix}/:key`, async (request, reply) => {
    const project = load(request);
    const variable = find(
      request,
      project.id,
      parseParams(request, scopeFilter).filter?.environment_scope,
    );
    ctx.state.variables.splice(ctx.state.variables.indexOf(variable), 1);
    return reply.status(204).send();
  });
}
