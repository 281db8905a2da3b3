import type { FastifyInstance } from 'fastify';
import { registerRunApi } from './register-run-api.ts';
import { registerRunPageRoutes } from './register-run-page-routes.ts';
import type { RunRoutesDeps } from './run-routes-deps.ts';

export type { RunRoutesDeps } from './run-routes-deps.ts';

/**
 * The runs API (`/api/runs...`), the run page (`/runs/:id`) and its assets. Encapsulated, so its
 * form parser does not reach other routes.
 */
export async function registerRunRoutes(app: FastifyInstance, deps: RunRoutesDeps): Promise<void> {
  await app.register(async (scope) => {
    // Event streams last as long as a run; closing the app must not wait for every viewer.
    const shutdown = new AbortController();
    scope.addHook('preClose', (done) => {
      shutdown.abort();
      done();
    });
    registerRunApi(scope, deps, shutdown.signal);
    await registerRunPageRoutes(scope, deps);
  });
}
