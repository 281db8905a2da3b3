import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { badRequest, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, parseParams } from '../params.ts';
import { deliveryEntity, hookEntity } from '../presenters/hooks.ts';
import { accessLevels } from '../state/access-levels.ts';
import { hookEventFlags, type Hook, type HookEventFlag } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { findGroup, findProject, requireGroupLevel, requireProjectLevel } from './resolve.ts';

const flagShape = Object.fromEntries(
  hookEventFlags.map((flag) => [flag, boolParam.optional()]),
) as Record<HookEventFlag, z.ZodOptional<typeof boolParam>>;

const hookParams = z.object({
  url: z.string().min(1),
  token: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  push_events_branch_filter: z.string().optional(),
  enable_ssl_verification: boolParam.optional(),
  ...flagShape,
});

const editParams = hookParams.partial();

function checkUrl(raw: string): void {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw badRequest({ url: ['is blocked: Only allowed schemes are http, https'] });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw badRequest({ url: ['is blocked: Only allowed schemes are http, https'] });
  }
}

type Scope = Hook['scope'];

/** Project hooks need Maintainer, group hooks Owner. Local URLs are allowed (see readme). */
export function registerHookRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  registerFor(app, ctx, '/api/v4/projects/:id/hooks', (request) => {
    const actor = ctx.actor(request);
    const project = findProject(ctx, actor, pathParam(request, 'id'));
    requireProjectLevel(ctx, actor, project, accessLevels.maintainer);
    return { kind: 'project', projectId: project.id };
  });
  registerFor(app, ctx, '/api/v4/groups/:id/hooks', (request) => {
    const actor = ctx.actor(request);
    const group = findGroup(ctx, actor, pathParam(request, 'id'));
    requireGroupLevel(ctx, actor, group, accessLevels.owner);
    return { kind: 'group', groupId: group.id };
  });
}

function sameScope(a: Scope, b: Scope): boolean {
  return a.kind === 'project' && b.kind === 'project'
    ? a.projectId === b.projectId
    : a.kind === 'group' && b.kind === 'group' && a.groupId === b.groupId;
}

function registerFor(
  app: FastifyInstance,
  ctx: ForgeContext,
  prefix: string,
  scopeOf: (request: FastifyRequest) => Scope,
): void {
  const hooksOf = (scope: Scope) =>
    [...ctx.state.hooks.values()].filter((h) => sameScope(h.scope, scope));
  const findHook = (request: FastifyRequest) => {
    const scope = scopeOf(request);
    const hook = hooksOf(scope).find((h) => h.id === Number(pathParam(request, 'hook_id')));
    if (hook === undefined) throw notFound();
    return hook;
  };

  app.get(prefix, (request, reply) =>
    paginate(request, reply, ctx.urls, hooksOf(scopeOf(request))).map(hookEntity),
  );
  app.get(`${prefix}/:hook_id`, (request) => hookEntity(findHook(request)));

  app.post(prefix, async (request, reply) => {
    const scope = scopeOf(request);
    const p = parseParams(request, hookParams);
    checkUrl(p.url);
    const events = Object.fromEntries(
      hookEventFlags.map((flag) => [flag, p[flag] ?? flag === 'push_events']),
    ) as Record<HookEventFlag, boolean>;
    const hook: Hook = {
      id: ctx.state.nextId('hook'),
      scope,
      url: p.url,
      token: p.token ?? null,
      name: p.name ?? null,
      description: p.description ?? null,
      events,
      pushEventsBranchFilter: p.push_events_branch_filter ?? null,
      enableSslVerification: p.enable_ssl_verification ?? true,
      createdAt: Date.now(),
    };
    ctx.state.hooks.set(hook.id, hook);
    return reply.status(201).send(hookEntity(hook));
  });

  app.put(`${prefix}/:hook_id`, (request) => {
    const hook = findHook(request);
    const p = parseParams(request, editParams);
    if (p.url !== undefined && p.url !== hook.url) {
      checkUrl(p.url);
      hook.url = p.url;
      // Changing the URL clears the secret, as on GitLab, unless a new one is given.
      hook.token = null;
    }
    if (p.token !== undefined) hook.token = p.token;
    if (p.name !== undefined) hook.name = p.name;
    if (p.description !== undefined) hook.description = p.description;
    if (p.push_events_branch_filter !== undefined)
      hook.pushEventsBranchFilter = p.push_events_branch_filter;
    if (p.enable_ssl_verification !== undefined)
      hook.enableSslVerification = p.enable_ssl_verification;
    for (const flag of hookEventFlags) {
      const value = p[flag];
      if (value !== undefined) hook.events[flag] = value;
    }
    return hookEntity(hook);
  });

  app.delete(`${prefix}/:hook_id`, async (request, reply) => {
    const hook = findHook(request);
    ctx.state.hooks.delete(hook.id);
    return reply.status(204).send();
  });

  app.get(`${prefix}/:hook_id/events`, (request, reply) => {
    const hook = findHook(request);
    const log = [...ctx.state.deliveries.values()]
      .filter((d) => d.hookId === hook.id)
      .sort((a, b) => b.id - a.id);
    return paginate(request, reply, ctx.urls, log).map(deliveryEntity);
  });

  app.post(`${prefix}/:hook_id/events/:hook_event_id/resend`, async (request, reply) => {
    const hook = findHook(request);
    const delivery = ctx.state.deliveries.get(Number(pathParam(request, 'hook_event_id')));
    if (delivery === undefined || delivery.hookId !== hook.id) throw notFound();
    const resent = await ctx.webhooks.resend(delivery);
    return reply
      .status(201)
      .send({ response_status: Number(resent.responseStatus) || resent.responseStatus });
  });
}
