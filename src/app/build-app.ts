import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { AppError, isAppError } from '../errors/app-error.ts';
import { registerAdminApi } from '../admin-api/register-admin-api.ts';
import { isGatewayUrl, type GatewayRequestHandler } from '../gateway/gateway-handler.ts';
import { registerWebhookRoutes } from '../intake/register-webhook-routes.ts';
import { registerRunRoutes } from '../web/register-run-routes.ts';
import type { Logger } from '../logging/logger.ts';
import type { Services } from './create-services.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Without services the app serves only its health check (used by tests of the shell). */
  services?: Services;
  /** Serves `/gateway/*`; defaults to the services' gateway. */
  gateway?: GatewayRequestHandler;
}

/** Builds the HTTP application without listening, so tests can drive it with inject(). */
export async function buildApp(deps: AppDeps) {
  // Typed with Fastify's base logger so that route modules can take a plain FastifyInstance.
  const gateway = deps.gateway ?? deps.services?.gateway.handle;
  const app = Fastify<Server, IncomingMessage, ServerResponse>({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.server.bodyLimit,
    trustProxy: false,
    // Model calls go to a plain node handler in front of Fastify: no routing, hooks, body
    // parsing or request logging on the gateway's hot path, and bodies stream through.
    ...(gateway === undefined
      ? {}
      : {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
            createServer((req, res) => {
              if (isGatewayUrl(req.url)) gateway(req, res);
              else handler(req, res);
            }),
        }),
  });

  app.setErrorHandler((error, request, reply) => {
    if (isAppError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(error.status).send({ error: error.toJSON() });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) {
      const tooLarge = new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
      return reply.status(413).send({ error: tooLarge.toJSON() });
    }
    if (status !== undefined && status >= 400 && status < 500) {
      const bad = new AppError(
        'BAD_REQUEST',
        error instanceof Error ? error.message : 'Bad request',
      );
      return reply.status(status).send({ error: bad.toJSON() });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: new AppError('INTERNAL', 'Internal error').toJSON() });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: new AppError('NOT_FOUND', `No route for ${request.method} ${request.url}`).toJSON(),
    }),
  );

  app.get('/healthz', () => ({ status: 'ok' }));

  const { services } = deps;
  if (services) {
    await registerWebhookRoutes(app, {
      registry: services.registry,
      deliveries: services.deliveries,
      onStored: () => {
        services.worker.notify();
      },
      bodyLimit: deps.config.server.bodyLimit,
    });
    await registerAdminApi(app, {
      config: deps.config,
      logger: deps.logger,
      connections: services.connections,
      registry: services.registry,
      triggers: services.triggers,
      flags: services.flags,
      catalog: services.catalog,
      variables: services.variables,
      publicUrl: () => services.publicUrl.value,
    });
    await registerRunRoutes(app, {
      runs: services.runs,
      logs: services.logs,
      events: services.events,
      cancelRun: (id, by) => services.controller.cancel(id, by),
      auth: services.access,
      forgeBaseUrl: (connectionId) => services.registry.get(connectionId)?.baseUrl,
    });
  }
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
