import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { paginate } from '../pagination.ts';
import { parseParams } from '../params.ts';
import { epicEntity } from '../presenters/issuables.ts';
import { pathParam } from './path-params.ts';
import { findEpic, findGroup } from './resolve.ts';

const listParams = z.object({ state: z.enum(['opened', 'closed', 'all']).default('all') });

/** The legacy group Epics API (deprecated by GitLab in 17.0, still served), epics addressed by id. */
export function registerEpicRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  app.get('/api/v4/groups/:id/epics', (request, reply) => {
    const group = findGroup(ctx, ctx.actor(request), pathParam(request, 'id'));
    const { state } = parseParams(request, listParams);
    const epics = [...ctx.state.epics.values()]
      .filter((e) => e.groupId === group.id && (state === 'all' || e.state === state))
      .sort((a, b) => b.id - a.id);
    return paginate(request, reply, ctx.urls, epics).map((e) => epicEntity(ctx.urls, ctx.state, e));
  });

  app.get('/api/v4/groups/:id/epics/:epic_id', (request) => {
    const group = findGroup(ctx, ctx.actor(request), pathParam(request, 'id'));
    return epicEntity(ctx.urls, ctx.state, findEpic(ctx, group, pathParam(request, 'epic_id')));
  });
}
