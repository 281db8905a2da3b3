import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { conflict, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { intListParam, intParam, parseParams } from '../params.ts';
import { memberEntity } from '../presenters/members.ts';
import { groupEntity, projectEntity } from '../presenters/projects.ts';
import {
  accessLevels,
  allProjectMembers,
  directProjectMembership,
  effectiveProjectMembership,
} from '../state/access-levels.ts';
import type { Membership } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { findGroup, findProject, levelOnProject, requireProjectLevel } from './resolve.ts';

const addMemberParams = z.object({
  user_id: intParam.optional(),
  username: z.string().optional(),
  access_level: intParam.refine((level) => [10, 15, 20, 30, 40, 50].includes(level)),
  expires_at: z.string().optional(),
});

const listMembersParams = z.object({
  query: z.string().optional(),
  user_ids: intListParam.optional(),
});

export function registerProjectRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  app.get('/api/v4/projects/:id', (request) => {
    const actor = ctx.actor(request);
    const project = findProject(ctx, actor, pathParam(request, 'id'));
    return projectEntity(ctx.urls, ctx.state, project, actor.user.id);
  });

  app.get('/api/v4/projects', (request, reply) => {
    const actor = ctx.actor(request);
    const visible = [...ctx.state.projects.values()].filter(
      (project) => project.visibility !== 'private' || levelOnProject(ctx, actor, project) > 0,
    );
    return paginate(request, reply, ctx.urls, visible).map((project) =>
      projectEntity(ctx.urls, ctx.state, project, actor.user.id),
    );
  });

  app.get('/api/v4/groups/:id', (request) => {
    const group = findGroup(ctx, ctx.actor(request), pathParam(request, 'id'));
    return groupEntity(ctx.urls, group);
  });

  const present = (membership: Membership) => {
    const user = ctx.state.users.get(membership.userId);
    if (user === undefined) throw notFound();
    const createdBy =
      membership.createdById === null ? undefined : ctx.state.users.get(membership.createdById);
    return memberEntity(ctx.urls, user, membership, createdBy);
  };

  app.get('/api/v4/projects/:id/members/all/:user_id', (request) => {
    const project = findProject(ctx, ctx.actor(request), pathParam(request, 'id'));
    const userId = Number(pathParam(request, 'user_id'));
    const membership = effectiveProjectMembership(ctx.state, project.id, userId);
    if (membership === undefined) throw notFound();
    return present(membership);
  });

  app.get('/api/v4/projects/:id/members/:user_id', (request) => {
    const project = findProject(ctx, ctx.actor(request), pathParam(request, 'id'));
    const membership = directProjectMembership(
      ctx.state,
      project.id,
      Number(pathParam(request, 'user_id')),
    );
    if (membership === undefined) throw notFound();
    return present(membership);
  });

  const listMembers = (inherited: boolean) => (request: FastifyRequest, reply: FastifyReply) => {
    const project = findProject(ctx, ctx.actor(request), pathParam(request, 'id'));
    const params = parseParams(request, listMembersParams);
    const members = inherited
      ? allProjectMembers(ctx.state, project.id)
      : ctx.state.memberships.filter(
          (m) => m.sourceType === 'Project' && m.sourceId === project.id,
        );
    const query = params.query?.toLowerCase();
    const filtered = members.filter((m) => {
      if (params.user_ids !== undefined && !params.user_ids.includes(m.userId)) return false;
      const user = ctx.state.users.get(m.userId);
      return (
        query === undefined ||
        `${user?.username ?? ''} ${user?.name ?? ''}`.toLowerCase().includes(query)
      );
    });
    return paginate(request, reply, ctx.urls, filtered).map(present);
  };
  app.get('/api/v4/projects/:id/members/all', listMembers(true));
  app.get('/api/v4/projects/:id/members', listMembers(false));

  app.post('/api/v4/projects/:id/members', async (request, reply) => {
    const actor = ctx.actor(request);
    const project = findProject(ctx, actor, pathParam(request, 'id'));
    requireProjectLevel(ctx, actor, project, accessLevels.maintainer);
    const params = parseParams(request, addMemberParams);
    const user =
      params.user_id !== undefined
        ? ctx.state.users.get(params.user_id)
        : params.username === undefined
          ? undefined
          : ctx.state.userByUsername(params.username);
    if (user === undefined) throw notFound('User');
    if (directProjectMembership(ctx.state, project.id, user.id) !== undefined) {
      throw conflict('Member already exists');
    }
    const membership: Membership = {
      sourceType: 'Project',
      sourceId: project.id,
      userId: user.id,
      accessLevel: params.access_level,
      createdAt: Date.now(),
      createdById: actor.user.id,
      expiresAt: params.expires_at ?? null,
    };
    ctx.state.memberships.push(membership);
    return reply.status(201).send(present(membership));
  });
}
