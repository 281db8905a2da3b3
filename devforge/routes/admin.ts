import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Fixture } from '../fixture-schema.ts';
import type { ForgeContext } from '../forge-context.ts';
import { tokenFromRequest } from '../auth.ts';
import { badRequest, unauthorized } from '../forge-error.ts';
import { deliveryEntity } from '../presenters/hooks.ts';
import { timingSafeEqual } from 'node:crypto';

/** Not GitLab's: `/-/devforge/*` lets tests reset state and read the webhook delivery log. */
export function registerAdminRoutes(
  app: FastifyInstance,
  ctx: ForgeContext,
  reset: (fixture?: Fixture) => Promise<void>,
): void {
  const requireAdmin = (request: FastifyRequest) => {
    const given = Buffer.from(tokenFromRequest(request) ?? '');
    const expected = Buffer.from(ctx.state.adminToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized();
  };

  app.post('/-/devforge/reset', async (request) => {
    requireAdmin(request);
    const body = request.body;
    const hasFixture = typeof body === 'object' && body !== null && Object.keys(body).length > 0;
    try {
      await reset(hasFixture ? (body as Fixture) : undefined);
    } catch (error: unknown) {
      throw badRequest(error instanceof Error ? error.message : 'invalid fixture');
    }
    return { status: 'reset', projects: ctx.state.projects.size, users: ctx.state.users.size };
  });

  app.get('/-/devforge/deliveries', async (request) => {
    requireAdmin(request);
    await ctx.webhooks.idle();
    return [...ctx.state.deliveries.values()].map((d) => ({
      ...deliveryEntity(d),
      hook_id: d.hookId,
      idempotency_key: d.idempotencyKey,
      event_uuid: d.eventUuid,
      webhook_uuid: d.webhookUuid,
    }));
  });

  app.get('/-/devforge/health', () => ({ status: 'ok' }));
}
