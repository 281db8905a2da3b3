import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminRoute, handleAdminRoute, type AdminRoute } from './admin-route.ts';
import { adminApiPrefix, buildOpenApiDocument } from './build-openapi-document.ts';
import { catalogEnablementRoutes } from './catalog-enablement-routes.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { connectionRoutes } from './connection-routes.ts';
import { flagRoutes } from './flag-routes.ts';
import { requireAdminToken } from './require-admin-token.ts';
import { serviceAccountRoutes } from './service-account-routes.ts';
import { triggerRoutes } from './trigger-routes.ts';
import { variableRoutes } from './variable-routes.ts';

export type { AdminApiDeps } from './admin-api-deps.ts';
export type { VerifiedAccount, VerifyAccount } from './verify-gitlab-account.ts';

/** Admin bodies are small (a flow is at most 64 KiB); no need for the webhook-sized limit. */
const adminBodyLimit = 1024 * 1024;

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return z.object({ version: z.string() }).parse(JSON.parse(text)).version;
}

/**
 * Mounts the admin API under `/api/admin`: connections, service accounts, triggers, feature
 * flags, catalog flows, and the OpenAPI document describing them all. Every route needs
 * `Authorization: Bearer <admin token>`; with no token configured, every route answers 403.
 */
export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const routes: AdminRoute[] = [
    ...connectionRoutes(deps),
    ...serviceAccountRoutes(deps),
    ...triggerRoutes(deps),
    ...flagRoutes(deps),
    ...catalogRoutes(deps),
    ...catalogEnablementRoutes(deps),
    ...(deps.variables ? variableRoutes({ ...deps, variables: deps.variables }) : []),
  ];
  let document: Record<string, unknown> = {};
  routes.push(
    adminRoute({
      method: 'GET',
      path: '/openapi.json',
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document',
      responses: {
        200: { description: 'The document', schema: z.record(z.string(), z.unknown()) },
      },
      handle: () => Promise.resolve({ status: 200, body: document }),
    }),
  );
  document = buildOpenApiDocument(routes, { version: await packageVersion() });

  await app.register(
    (scope, _options, done) => {
      scope.addHook('onRequest', requireAdminToken(deps.config.admin.token));
      for (const route of routes) {
        scope.route({
          method: route.method,
          url: route.path,
          bodyLimit: adminBodyLimit,
          handler: (request, reply) => handleAdminRoute(route, request, reply),
        });
      }
      done();
    },
    { prefix: adminApiPrefix },
  );
  if (deps.config.admin.token === undefined) {
    deps.logger.warn('admin API disabled: BATON_ADMIN_TOKEN is not set');
  }
}
