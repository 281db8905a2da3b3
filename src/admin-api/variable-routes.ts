import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { VariableStore } from '../secrets/variable-store.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { findConnection } from './admin-lookups.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import { forgePath, scopeSchema, slug } from './admin-schemas.ts';

const tag = 'variables';

const variableKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'may contain only letters, digits and _, and must not start with a digit',
});

const variableBody = z.strictObject({
  connection: slug,
  scope: scopeSchema,
  key: variableKey,
  value: z.string(),
  masked: z.boolean().default(true),
  description: z.string().max(255).default(''),
});

const variableView = z.object({
  connection: z.string(),
  scope: scopeSchema,
  key: z.string(),
  masked: z.boolean(),
  description: z.string(),
});

const variableQuery = z.strictObject({
  connection: slug,
  scopeType: z.enum(['project', 'group']),
  path: forgePath,
  key: variableKey,
});

/** Flow variables: values go in and never come out. */
export function variableRoutes(deps: AdminApiDeps & { variables: VariableStore }): AdminRoute[] {
  const { variables, connections, logger } = deps;
  return [
    adminRoute({
      method: 'GET',
      path: '/variables',
      tag,
      summary: 'List flow variables (without their values)',
      responses: {
        200: { description: 'Variables', schema: z.object({ variables: z.array(variableView) }) },
      },
      handle: async () => ({
        status: 200,
        body: {
          variables: (await variables.list()).map((v) => ({
            connection: v.connectionId,
            scope: v.scope,
            key: v.key,
            masked: v.masked,
            description: v.description,
          })),
        },
      }),
    }),
    adminRoute({
      method: 'PUT',
      path: '/variables',
      tag,
      summary:
        'Set a flow variable for a project or group (sealed at rest; masked values are redacted)',
      body: variableBody,
      responses: { 200: { description: 'The variable, without its value', schema: variableView } },
      handle: async ({ body }) => {
        await findConnection(connections, body.connection, {
          as: 'BAD_REQUEST',
          at: 'body.connection',
        });
        await variables.set({
          connectionId: body.connection,
          scope: body.scope,
          key: body.key,
          value: body.value,
          masked: body.masked,
          description: body.description,
        });
        logger.info({ key: body.key, scope: body.scope, masked: body.masked }, 'variable set');
        return {
          status: 200,
          body: {
            connection: body.connection,
            scope: body.scope,
            key: body.key,
            masked: body.masked,
            description: body.description,
          },
        };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/variables',
      tag,
      summary: 'Remove a flow variable',
      query: variableQuery,
      responses: { 204: { description: 'Removed' }, 404: { description: 'No such variable' } },
      handle: async ({ query }) => {
        const removed = await variables.remove(
          query.connection,
          { type: query.scopeType, path: query.path },
          query.key,
        );
        if (!removed)
          throw new AppError(
            'NOT_FOUND',
            `Variable ${query.key} is not set for ${query.scopeType} ${query.path}`,
          );
        return { status: 204 };
      },
    }),
  ];
}
