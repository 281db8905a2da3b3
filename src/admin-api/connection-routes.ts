import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { findConnection, isForeignKeyViolation } from './admin-lookups.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import {
  connectionBody,
  connectionParams,
  connectionSaved,
  connectionView,
} from './admin-schemas.ts';
import { connectionViewOf, publicBaseUrl } from './admin-views.ts';

const tag = 'connections';
const notFound = { description: 'No connection with this id' };

/** Forge connections: where a GitLab instance is, and the secret its webhooks carry. */
export function connectionRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { connections, registry, triggers, config, logger } = deps;
  return [
    adminRoute({
      method: 'GET',
      path: '/connections',
      tag,
      summary: 'List connections with their service accounts',
      responses: { 200: { description: 'Every connection', schema: z.array(connectionView) } },
      handle: async ({ request }) => {
        const base = publicBaseUrl(deps, request);
        const all = await connections.all();
        return { status: 200, body: all.map((c) => connectionViewOf(c, base)) };
      },
    }),
    adminRoute({
      method: 'PUT',
      path: '/connections/:id',
      tag,
      summary: 'Create or replace a connection',
      description:
        'The answer carries the webhook URL to enter in GitLab (Settings > Webhooks), with the same secret token.',
      params: connectionParams,
      body: connectionBody,
      responses: {
        200: { description: 'Replaced', schema: connectionSaved },
        201: { description: 'Created', schema: connectionSaved },
      },
      handle: async ({ params, body, request }) => {
        const existed = (await connections.all()).some((c) => c.id === params.id);
        await connections.upsertConnection({
          id: params.id,
          baseUrl: body.url,
          webhookSecret: body.webhookSecret,
        });
        await registry.reload();
        logger.info({ connection: params.id, url: body.url, existed }, 'connection saved');
        const saved = await findConnection(connections, params.id);
        const warnings =
          config.server.publicUrl === undefined
            ? [
                'BATON_PUBLIC_URL is not set, so the webhook URL is a guess (the listening address, or the one this request reached); set it to the URL GitLab can reach Baton at.',
              ]
            : [];
        const view = connectionViewOf(saved, publicBaseUrl(deps, request));
        return { status: existed ? 200 : 201, body: { ...view, warnings } };
      },
    }),
    adminRoute({
      method: 'GET',
      path: '/connections/:id',
      tag,
      summary: 'Get a connection',
      params: connectionParams,
      responses: { 200: { description: 'The connection', schema: connectionView }, 404: notFound },
      handle: async ({ params, request }) => {
        const connection = await findConnection(connections, params.id);
        return { status: 200, body: connectionViewOf(connection, publicBaseUrl(deps, request)) };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/connections/:id',
      tag,
      summary: 'Delete a connection, its service accounts and catalog enablements',
      description:
        'Refused while a trigger uses the connection, or when runs were recorded for it.',
      params: connectionParams,
      responses: {
        204: { description: 'Deleted' },
        404: notFound,
        409: { description: 'Triggers or runs still refer to it' },
      },
      handle: async ({ params }) => {
        await findConnection(connections, params.id);
        const using = (await triggers.list()).filter((t) => t.connectionId === params.id);
        if (using.length > 0) {
          throw new AppError(
            'CONFLICT',
            `Connection ${params.id} is used by trigger(s) ${using.map((t) => t.id).join(', ')}; delete them first`,
          );
        }
        try {
          await connections.removeConnection(params.id);
        } catch (error) {
          if (!isForeignKeyViolation(error)) throw error;
          throw new AppError('CONFLICT', `Connection ${params.id} has recorded runs; it is kept`, {
            cause: error,
          });
        }
        await registry.reload();
        logger.info({ connection: params.id }, 'connection deleted');
        return { status: 204 };
      },
    }),
  ];
}
