import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { pino, type Logger } from 'pino';
import { registerAuth } from './auth.ts';
import { fixtureSchema, type Fixture } from './fixture-schema.ts';
import type { Actor, ForgeContext } from './forge-context.ts';
import { ForgeError, unauthorized } from './forge-error.ts';
import { ForgeUrls } from './forge-urls.ts';
import { createGitHttpAccess } from './git-http-access.ts';
import { createGitRepositoryStore } from './git/git-repository-store.ts';
import { registerGitHttp } from './git/git-http.ts';
import type { RepositoryStore } from './git/repository-store.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerApiRoutes } from './routes/register-api-routes.ts';
import type { ForgeState } from './state/forge-state.ts';
import { seedState } from './state/seed-state.ts';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.ts';

export interface DevForgeOptions {
  /** Base of every URL in responses; defaults to the listening address. */
  publicUrl?: string;
  fixture?: Fixture;
  reposDir: string;
  logger?: Logger;
  /** Tests may substitute the repository store; the default is real git on disk. */
  store?: RepositoryStore;
}

export interface DevForge {
  readonly app: FastifyInstance;
  readonly state: ForgeState;
  readonly urls: ForgeUrls;
  readonly store: RepositoryStore;
  /** Webhook deliveries: `idle()`, the `delivered` event, `resend()`. */
  readonly deliveries: WebhookDispatcher;
  listen(options?: { host?: string; port?: number }): Promise<{ url: string }>;
  /** Replaces all state with a fixture (the default one when omitted). */
  reset(fixture?: Fixture): Promise<void>;
  close(): Promise<void>;
}

const defaultFixtureUrl = new URL('./fixtures/default.json', import.meta.url);

export async function loadDefaultFixture(): Promise<Fixture> {
  const text = await readFile(defaultFixtureUrl, 'utf8');
  return fixtureSchema.parse(JSON.parse(text) as unknown);
}

export async function createDevForge(options: DevForgeOptions): Promise<DevForge> {
  const log = options.logger ?? pino({ level: 'silent' });
  const urls = new ForgeUrls(options.publicUrl ?? 'http://127.0.0.1');
  const store = options.store ?? createGitRepositoryStore({ reposDir: options.reposDir });
  const seed = async (fixture: Fixture | undefined) =>
    seedState(fixtureSchema.parse(fixture ?? (await loadDefaultFixture())), store);

  let state = await seed(options.fixture);
  const actors = new WeakMap<FastifyRequest, Actor>();
  const webhooks = new WebhookDispatcher(() => state, urls, log);
  const ctx: ForgeContext = {
    get state() {
      return state;
    },
    set state(next: ForgeState) {
      state = next;
    },
    urls,
    store,
    webhooks,
    log,
    actor(request) {
      const actor = actors.get(request);
      if (actor === undefined) throw unauthorized();
      return actor;
    },
  };

  const app = await buildServer(ctx, log);
  registerAuth(app, ctx, actors);
  registerApiRoutes(app, ctx);
  const reset = async (fixture?: Fixture) => {
    await webhooks.idle();
    const previous = [...state.projects.values()].map((p) => p.pathWithNamespace);
    const next = await seed(fixture);
    for (const path of previous) {
      if (next.projectByPath(path) === undefined && (await store.exists(path)))
        await store.remove(path);
    }
    state = next;
  };
  registerAdminRoutes(app, ctx, reset);
  await registerGitHttp(app, { store, access: createGitHttpAccess(ctx), logger: app.log });
  await app.ready();

  return {
    app,
    get state() {
      return state;
    },
    urls,
    store,
    deliveries: webhooks,
    reset,
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      await app.listen({ host, port });
      const address = app.server.address() as AddressInfo;
      if (options.publicUrl === undefined) urls.setBase(`http://${host}:${address.port}`);
      return { url: urls.base };
    },
    async close() {
      await app.close();
      await webhooks.idle();
    },
  };
}

async function buildServer(ctx: ForgeContext, log: Logger): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: 30 * 1024 * 1024,
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
  });
  // Clients send `Content-Type: application/json` on bodiless DELETEs; GitLab accepts that.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new ForgeError(400, { error: 'The provided JSON body is invalid' }), undefined);
    }
  });
  await app.register(formbody);
  await app.register(multipart, { attachFieldsToBody: 'keyValues' });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ForgeError) {
      return reply.status(error.status).headers(error.headers).send(error.body);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply
        .status(status)
        .send({ message: `${status} ${error instanceof Error ? error.message : 'Bad request'}` });
    }
    request.log.error({ err: error }, 'devforge request failed');
    return reply.status(500).send({ message: '500 Internal Server Error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: '404 Not Found' }));
  // GitLab answers `application/json` without a charset, and python-gitlab 3.12 only parses a
  // body whose Content-Type is exactly that.
  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) {
      void reply.header('content-type', 'application/json');
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    ctx.webhooks.release(request);
    done();
  });
  return app;
}
