import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listQuerySchema, listRuns } from './list-runs.ts';
import {
  cancelActiveRun,
  findRun,
  loadRunView,
  logQuerySchema,
  offsetSchema,
  parseQuery,
  requireAdmin,
  requireViewer,
  runIdOf,
  type RunRoutesDeps,
} from './run-routes-deps.ts';
import { streamRunEvents } from './stream-run-events.ts';

/** `/api/runs`: the list and cancel need the admin token; one run's views need its view token. */
export function registerRunApi(
  app: FastifyInstance,
  deps: RunRoutesDeps,
  shutdown: AbortSignal,
): void {
  app.get('/api/runs', async (request, reply) => {
    requireAdmin(deps, request, reply);
    const query = parseQuery(listQuerySchema, request.query);
    reply.header('cache-control', 'no-store');
    return listRuns(deps.runs, query);
  });

  app.get('/api/runs/:id', async (request, reply) => {
    const id = runIdOf(request);
    requireViewer(deps, request, reply, id);
    parseQuery(z.object({ t: z.string().optional() }).strict(), request.query);
    const run = await loadRunView(deps, await findRun(deps.runs, id));
    reply.header('cache-control', 'no-store');
    return { run, links: { page: deps.auth.linkFor(id) } };
  });

  app.get('/api/runs/:id/log', async (request, reply) => {
    const id = runIdOf(request);
    requireViewer(deps, request, reply, id);
    const query = parseQuery(logQuerySchema, request.query);
    await findRun(deps.runs, id);
    reply.header('cache-control', 'no-store');
    return deps.logs.read(id, { fromOffset: query.offset ?? 0 });
  });

  app.get('/api/runs/:id/events', async (request, reply) => {
    const id = runIdOf(request);
    requireViewer(deps, request, reply, id);
    const query = parseQuery(logQuerySchema, request.query);
    const lastEventId = request.headers['last-event-id'];
    const resumed = offsetSchema.safeParse(lastEventId);
    await findRun(deps.runs, id);
    const offset = resumed.success && lastEventId !== '' ? resumed.data : (query.offset ?? 0);
    await streamRunEvents(reply, id, offset, {
      runs: deps.runs,
      logs: deps.logs,
      events: deps.events,
      heartbeatMs: deps.heartbeatMs ?? 15_000,
      shutdown,
    });
  });

  app.post('/api/runs/:id/cancel', async (request, reply) => {
    const id = runIdOf(request);
    requireAdmin(deps, request, reply, id);
    const { code, status } = await cancelActiveRun(deps, id, 'admin token');
    return reply.status(code).send({ id, status });
  });
}
