import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { normalizePath } from '../triggers/scope.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { findConnection, findFlow } from './admin-lookups.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import { catalogParams, enablementBody, enablementQuery, enablementView } from './admin-schemas.ts';
import { enablementViewOf } from './admin-views.ts';

const tag = 'catalog';
const notFound = { description: 'No catalog flow with this id or name' };

/** Where a catalog flow may run: a project, or a group and every project below it. */
export function catalogEnablementRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { catalog, connections, logger } = deps;
  return [
    adminRoute({
      method: 'GET',
      path: '/catalog-flows/:flow/enablements',
      tag,
      summary: 'List the projects and groups a flow is enabled for',
      params: catalogParams,
      responses: {
        200: { description: 'Enablements', schema: z.array(enablementView) },
        404: notFound,
      },
      handle: async ({ params }) => {
        const flow = await findFlow(catalog, params.flow);
        const rows = await catalog.enablements(flow.id);
        return { status: 200, body: rows.map((e) => enablementViewOf(flow.name, e)) };
      },
    }),
    adminRoute({
      method: 'POST',
      path: '/catalog-flows/:flow/enablements',
      tag,
      summary: 'Enable a flow for a project or a group (and the projects below it)',
      params: catalogParams,
      body: enablementBody,
      responses: {
        200: { description: 'Already enabled', schema: enablementView },
        201: { description: 'Enabled', schema: enablementView },
        404: notFound,
      },
      handle: async ({ params, body }) => {
        const flow = await findFlow(catalog, params.flow);
        await findConnection(connections, body.connection, {
          as: 'BAD_REQUEST',
          at: 'body.connection',
        });
        const scope = { type: body.scope.type, path: normalizePath(body.scope.path) };
        const enablement = { flowId: flow.id, connectionId: body.connection, scope };
        const existed = (await catalog.enablements(flow.id)).some(
          (e) =>
            e.connectionId === body.connection &&
            e.scope.type === scope.type &&
            e.scope.path === scope.path,
        );
        await catalog.enable(enablement);
        logger.info(
          { flowId: flow.id, connection: body.connection, scope },
          'catalog flow enabled',
        );
        return { status: existed ? 200 : 201, body: enablementViewOf(flow.name, enablement) };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/catalog-flows/:flow/enablements',
      tag,
      summary: 'Disable a flow for a project or group',
      description: 'The enablement is named in the query: connection, scopeType and path.',
      params: catalogParams,
      query: enablementQuery,
      responses: {
        204: { description: 'Disabled' },
        404: { description: 'No such flow or enablement' },
      },
      handle: async ({ params, query }) => {
        const flow = await findFlow(catalog, params.flow);
        const scope = { type: query.scopeType, path: query.path };
        const removed = await catalog.disable({
          flowId: flow.id,
          connectionId: query.connection,
          scope,
        });
        if (!removed) {
          throw new AppError(
            'NOT_FOUND',
            `${flow.name} is not enabled for ${scope.type} ${scope.path} in ${query.connection}`,
          );
        }
        logger.info(
          { flowId: flow.id, connection: query.connection, scope },
          'catalog flow disabled',
        );
        return { status: 204 };
      },
    }),
  ];
}
