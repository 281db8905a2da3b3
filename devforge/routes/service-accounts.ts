import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { badRequest, forbidden, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { parseParams } from '../params.ts';
import { tokenEntity } from '../presenters/users.ts';
import { accessLevels } from '../state/access-levels.ts';
import type { AccessToken, Group, User } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { findGroup, levelOnGroup } from './resolve.ts';

const createParams = z.object({
  name: z.string().min(1).optional(),
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
  email: z.email().optional(),
});

const tokenParams = z.object({
  name: z.string().min(1),
  scopes: z
    .array(
      z.enum([
        'api',
        'read_api',
        'read_user',
        'read_repository',
        'write_repository',
        'ai_features',
        'self_rotate',
      ]),
    )
    .min(1),
  expires_at: z.string().optional(),
  description: z.string().optional(),
});

function serviceAccountEntity(user: User) {
  return { id: user.id, username: user.username, name: user.name, email: user.email };
}

export function registerServiceAccountRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const ownedTopLevelGroup = (request: Parameters<typeof ctx.actor>[0]): Group => {
    const actor = ctx.actor(request);
    const group = findGroup(ctx, actor, pathParam(request, 'id'));
    if (levelOnGroup(ctx, actor, group) < accessLevels.owner) throw forbidden();
    if (group.parentId !== null)
      throw badRequest('400 Bad request - Group must be a top-level group');
    return group;
  };

  app.get('/api/v4/groups/:id/service_accounts', (request, reply) => {
    const group = ownedTopLevelGroup(request);
    const accounts = [...ctx.state.users.values()].filter(
      (u) => u.provisionedByGroupId === group.id,
    );
    return paginate(request, reply, ctx.urls, accounts).map(serviceAccountEntity);
  });

  app.post('/api/v4/groups/:id/service_accounts', async (request, reply) => {
    const group = ownedTopLevelGroup(request);
    const params = parseParams(request, createParams);
    const suffix = randomBytes(8).toString('hex');
    const username = params.username ?? `service_account_group_${group.id}_${suffix}`;
    if (ctx.state.userByUsername(username) !== undefined) {
      throw badRequest('Username has already been taken');
    }
    const host = new URL(ctx.urls.base).hostname;
    const user: User = {
      id: ctx.state.nextId('user'),
      username,
      name: params.name ?? 'Service account user',
      email: params.email ?? `${username}@noreply.${host}`,
      publicEmail: null,
      bot: true,
      admin: false,
      provisionedByGroupId: group.id,
      state: 'active',
      createdAt: Date.now(),
    };
    ctx.state.users.set(user.id, user);
    return reply.status(201).send(serviceAccountEntity(user));
  });

  app.post(
    '/api/v4/groups/:id/service_accounts/:user_id/personal_access_tokens',
    async (request, reply) => {
      const group = ownedTopLevelGroup(request);
      const user = ctx.state.users.get(Number(pathParam(request, 'user_id')));
      if (user === undefined || user.provisionedByGroupId !== group.id) throw notFound('User');
      const params = parseParams(request, tokenParams);
      const token: AccessToken = {
        id: ctx.state.nextId('token'),
        userId: user.id,
        name: params.name,
        token: `glpat-${randomBytes(15).toString('base64url')}`,
        scopes: params.scopes,
        revoked: false,
        description: params.description ?? null,
        createdAt: Date.now(),
        expiresAt: params.expires_at ?? null,
        lastUsedAt: null,
      };
      ctx.state.tokens.set(token.id, token);
      return reply.status(201).send({ ...tokenEntity(token), token: token.token });
    },
  );
}
