import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { findFlow } from './admin-lookups.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import {
  catalogCreateBody,
  catalogFlowView,
  catalogParams,
  catalogPatchBody,
} from './admin-schemas.ts';
import { catalogFlowViewOf } from './admin-views.ts';

const tag = 'catalog';
const notFound = { description: 'No catalog flow with this id or name' };
const invalidYaml = 'The definition is not a valid flow; details.errors give line and column';

/** Baton's catalog: named flows, and the projects and groups each is enabled for. */
export function catalogRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { catalog, logger } = deps;
  return [
    adminRoute({
      method: 'GET',
      path: '/catalog-flows',
      tag,
      summary: 'List catalog flows',
      responses: { 200: { description: 'Every flow', schema: z.array(catalogFlowView) } },
      handle: async () => ({ status: 200, body: (await catalog.list()).map(catalogFlowViewOf) }),
    }),
    adminRoute({
      method: 'POST',
      path: '/catalog-flows',
      tag,
      summary: 'Add a flow to the catalog',
      description:
        'definition is the flow file (GitLab format or Baton-native), as YAML; it is checked as `baton flow validate` does.',
      body: catalogCreateBody,
      responses: {
        201: { description: 'Created', schema: catalogFlowView },
        400: { description: invalidYaml },
        409: { description: 'A flow with this name exists' },
      },
      handle: async ({ body }) => {
        const flow = await catalog.create(body);
        logger.info({ flowId: flow.id, name: flow.name }, 'catalog flow created');
        return { status: 201, body: catalogFlowViewOf(flow) };
      },
    }),
    adminRoute({
      method: 'GET',
      path: '/catalog-flows/:flow',
      tag,
      summary: 'Get a catalog flow',
      params: catalogParams,
      responses: { 200: { description: 'The flow', schema: catalogFlowView }, 404: notFound },
      handle: async ({ params }) => ({
        status: 200,
        body: catalogFlowViewOf(await findFlow(catalog, params.flow)),
      }),
    }),
    adminRoute({
      method: 'PATCH',
      path: '/catalog-flows/:flow',
      tag,
      summary: 'Change some fields of a catalog flow',
      params: catalogParams,
      body: catalogPatchBody,
      responses: {
        200: { description: 'Updated', schema: catalogFlowView },
        400: { description: invalidYaml },
        404: notFound,
        409: { description: 'Another flow has this name' },
      },
      handle: async ({ params, body }) => {
        const current = await findFlow(catalog, params.flow);
        const next = { ...current, ...body };
        const clash = (await catalog.list()).find(
          (f) => f.name === next.name && f.id !== current.id,
        );
        if (clash)
          throw new AppError('CONFLICT', `A catalog flow named ${next.name} already exists`);
        const { id, ...fields } = next;
        const flow = await catalog.update(id, fields);
        logger.info({ flowId: flow.id, name: flow.name }, 'catalog flow updated');
        return { status: 200, body: catalogFlowViewOf(flow) };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/catalog-flows/:flow',
      tag,
      summary: 'Delete a catalog flow and its enablements',
      params: catalogParams,
      responses: {
        204: { description: 'Deleted' },
        404: notFound,
        409: { description: 'A trigger uses the flow' },
      },
      handle: async ({ params }) => {
        const flow = await findFlow(catalog, params.flow);
        await catalog.remove(flow.id);
        logger.info({ flowId: flow.id, name: flow.name }, 'catalog flow deleted');
        return { status: 204 };
      },
    }),
  ];
}
