import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { notFound } from '../forge-error.ts';
import { forgeVersion } from '../forge-version.ts';
import { paginate } from '../pagination.ts';
import { boolParam, parseParams } from '../params.ts';
import { tokenEntity, userBasic, userDetail } from '../presenters/users.ts';
import { pathParam } from './path-params.ts';

const allScopes = [
  'read_api',
  'read_user',
  'read_repository',
  'write_repository',
  'ai_features',
  'self_rotate',
  'sudo',
];

const listUsersParams = z.object({
  username: z.string().optional(),
  search: z.string().optional(),
  active: boolParam.optional(),
  humans: boolParam.optional(),
  exclude_humans: boolParam.optional(),
});

export function registerUserRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  app.get('/api/v4/version', () => ({
    version: forgeVersion,
    revision: 'devforge',
    kas: { enabled: false },
  }));

  app.get('/api/v4/user', { config: { scopes: ['read_user'] } }, (request) => {
    const { user } = ctx.actor(request);
    return userDetail(ctx.urls, user, { self: true });
  });

  app.get('/api/v4/users', { config: { scopes: ['read_user'] } }, (request, reply) => {
    const query = parseParams(request, listUsersParams);
    const search = query.search?.toLowerCase();
    const users = [...ctx.state.users.values()].filter((user) => {
      if (
        query.username !== undefined &&
        user.username.toLowerCase() !== query.username.toLowerCase()
      )
        return false;
      if (
        search !== undefined &&
        !`${user.username} ${user.name} ${user.email}`.toLowerCase().includes(search)
      )
        return false;
      if (query.humans === true && user.bot) return false;
      if (query.exclude_humans === true && !user.bot) return false;
      return true;
    });
    return paginate(request, reply, ctx.urls, users).map((user) => userBasic(ctx.urls, user));
  });

  app.get('/api/v4/users/:user_id', { config: { scopes: ['read_user'] } }, (request) => {
    const actor = ctx.actor(request);
    const raw = pathParam(request, 'user_id');
    const user = /^\d+$/.test(raw) ? ctx.state.users.get(Number(raw)) : undefined;
    if (user === undefined) throw notFound('User');
    return userDetail(ctx.urls, user, { self: actor.user.admin || actor.user.id === user.id });
  });

  app.get('/api/v4/personal_access_tokens/self', { config: { scopes: allScopes } }, (request) =>
    tokenEntity(ctx.actor(request).token),
  );
}
