import { AppError } from '../errors/app-error.ts';
import { featureFlags, type FlagScope } from '../triggers/feature-flags.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { findConnection } from './admin-lookups.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import {
  flagBody,
  flagParams,
  flagSettingView,
  flagsView,
  flagUnsetQuery,
} from './admin-schemas.ts';
import { flagSettingViewOf } from './admin-views.ts';

const tag = 'feature flags';

type ScopeInput =
  { type: 'instance' } | { type: 'group' | 'project'; connection: string; path: string };

/** Feature flags: the most specific setting wins (project, nearest group, instance, default). */
export function flagRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { flags, connections, logger } = deps;

  const toScope = async (scope: ScopeInput, at: string): Promise<FlagScope> => {
    if (scope.type === 'instance') return scope;
    await findConnection(connections, scope.connection, { as: 'BAD_REQUEST', at });
    return { type: scope.type, connectionId: scope.connection, path: scope.path };
  };

  return [
    adminRoute({
      method: 'GET',
      path: '/flags',
      tag,
      summary: 'List the known flags with their defaults, and every setting',
      responses: { 200: { description: 'Flags and settings', schema: flagsView } },
      handle: async () => ({
        status: 200,
        body: {
          flags: Object.entries(featureFlags).map(([name, value]) => ({ name, default: value })),
          settings: (await flags.list()).map(flagSettingViewOf),
        },
      }),
    }),
    adminRoute({
      method: 'PUT',
      path: '/flags/:name',
      tag,
      summary: 'Turn a flag on or off for the instance, a group or a project',
      params: flagParams,
      body: flagBody,
      responses: { 200: { description: 'The setting', schema: flagSettingView } },
      handle: async ({ params, body }) => {
        const scope = await toScope(body.scope, 'body.scope.connection');
        const setting = { name: params.name, scope, enabled: body.enabled };
        await flags.set(setting);
        logger.info({ flag: params.name, scope: body.scope, enabled: body.enabled }, 'flag set');
        return { status: 200, body: flagSettingViewOf(setting) };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/flags/:name',
      tag,
      summary: 'Remove a flag setting, so the next less specific one applies',
      description:
        'The scope is given in the query: scopeType=instance (default), or scopeType=group|project with connection and path.',
      params: flagParams,
      query: flagUnsetQuery,
      responses: { 204: { description: 'Removed' }, 404: { description: 'No such setting' } },
      handle: async ({ params, query }) => {
        const scope = await unsetScope(query, toScope);
        if (!(await flags.unset(params.name, scope))) {
          throw new AppError('NOT_FOUND', `Flag ${params.name} has no setting for this scope`);
        }
        logger.info({ flag: params.name, scope: query }, 'flag unset');
        return { status: 204 };
      },
    }),
  ];
}

async function unsetScope(
  query: { scopeType: 'instance' | 'group' | 'project'; connection?: string; path?: string },
  toScope: (scope: ScopeInput, at: string) => Promise<FlagScope>,
): Promise<FlagScope> {
  if (query.scopeType === 'instance') {
    if (query.connection !== undefined || query.path !== undefined) {
      throw new AppError(
        'BAD_REQUEST',
        'Invalid request: query: connection and path need scopeType group or project',
      );
    }
    return { type: 'instance' };
  }
  if (query.connection === undefined || query.path === undefined) {
    throw new AppError(
      'BAD_REQUEST',
      `Invalid request: query: scopeType ${query.scopeType} needs connection and path`,
    );
  }
  return toScope(
    { type: query.scopeType, connection: query.connection, path: query.path },
    'query.connection',
  );
}
