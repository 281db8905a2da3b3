import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { Trigger } from '../triggers/trigger-store.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import {
  triggerCreateBody,
  triggerParams,
  triggerPatchBody,
  triggerView,
} from './admin-schemas.ts';
import { triggerViewOf, type TriggerContext } from './admin-views.ts';
import { applyTriggerPatch, resolveTriggerInput } from './resolve-trigger-input.ts';

const tag = 'triggers';
const notFound = { description: 'No trigger with this id' };

/** Trigger rules: which service account, on which events, in which project or group, runs what. */
export function triggerRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { triggers, connections, catalog, logger } = deps;

  const context = async (): Promise<TriggerContext> => ({
    connections: await connections.all(),
    flows: await catalog.list(),
    shared: await triggers.sharedServiceAccounts(),
  });

  const find = async (id: number): Promise<Trigger> => {
    const trigger = await triggers.get(id);
    if (!trigger) throw new AppError('NOT_FOUND', `No trigger ${id}`);
    return trigger;
  };

  /** The view of a trigger just written, warning (and logging) when its account is shared. */
  const saved = async (trigger: Trigger, warnings: string[]) => {
    const view = triggerViewOf(trigger, await context());
    if (view.warnings.length > 0) {
      logger.warn(
        {
          triggerId: trigger.id,
          connection: trigger.connectionId,
          serviceAccount: view.serviceAccount,
        },
        'service account shared across projects or groups',
      );
    }
    return { ...view, warnings: [...warnings, ...view.warnings] };
  };

  return [
    adminRoute({
      method: 'GET',
      path: '/triggers',
      tag,
      summary: 'List triggers',
      responses: { 200: { description: 'Every trigger', schema: z.array(triggerView) } },
      handle: async () => {
        const ctx = await context();
        return { status: 200, body: (await triggers.list()).map((t) => triggerViewOf(t, ctx)) };
      },
    }),
    adminRoute({
      method: 'POST',
      path: '/triggers',
      tag,
      summary: 'Create a trigger',
      description:
        'Give exactly one of configPath (a flow file in the repository, e.g. .gitlab/duo/flows/claude.yaml) or catalogFlow. A service account already used in another project or group is accepted with a warning, as GitLab warns.',
      body: triggerCreateBody,
      responses: { 201: { description: 'Created', schema: triggerView } },
      handle: async ({ body }) => {
        const { trigger, warnings } = await resolveTriggerInput({ connections, catalog }, body);
        const created = await triggers.create(trigger);
        logger.info({ triggerId: created.id, connection: created.connectionId }, 'trigger created');
        return { status: 201, body: await saved(created, warnings) };
      },
    }),
    adminRoute({
      method: 'GET',
      path: '/triggers/:id',
      tag,
      summary: 'Get a trigger',
      params: triggerParams,
      responses: { 200: { description: 'The trigger', schema: triggerView }, 404: notFound },
      handle: async ({ params }) => ({
        status: 200,
        body: triggerViewOf(await find(params.id), await context()),
      }),
    }),
    adminRoute({
      method: 'PATCH',
      path: '/triggers/:id',
      tag,
      summary: 'Change some fields of a trigger',
      description:
        'Fields left out keep their value. Giving configPath or catalogFlow replaces the flow source.',
      params: triggerParams,
      body: triggerPatchBody,
      responses: { 200: { description: 'Updated', schema: triggerView }, 404: notFound },
      handle: async ({ params, body }) => {
        const current = await find(params.id);
        const { serviceAccount } = triggerViewOf(current, await context());
        const input = applyTriggerPatch(current, serviceAccount, body);
        const { trigger, warnings } = await resolveTriggerInput({ connections, catalog }, input);
        const updated = await triggers.update(params.id, trigger);
        logger.info({ triggerId: updated.id }, 'trigger updated');
        return { status: 200, body: await saved(updated, warnings) };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/triggers/:id',
      tag,
      summary: 'Delete a trigger',
      params: triggerParams,
      responses: { 204: { description: 'Deleted' }, 404: notFound },
      handle: async ({ params }) => {
        if (!(await triggers.remove(params.id)))
          throw new AppError('NOT_FOUND', `No trigger ${params.id}`);
        logger.info({ triggerId: params.id }, 'trigger deleted');
        return { status: 204 };
      },
    }),
  ];
}
