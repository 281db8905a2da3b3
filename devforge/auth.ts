import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, ForgeContext } from './forge-context.ts';
import { insufficientScope, invalidToken, unauthorized } from './forge-error.ts';
import type { ForgeState } from './state/forge-state.ts';

/** Route config: which token scopes, besides `api`, let a caller use the route. */
export interface ScopeConfig {
  scopes?: readonly string[];
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Every way GitLab accepts a personal/service-account/OAuth token on the REST API. */
export function tokenFromRequest(request: FastifyRequest): string | undefined {
  const privateToken = header(request, 'private-token');
  if (privateToken !== undefined && privateToken !== '') return privateToken;
  const authorization = header(request, 'authorization');
  const bearer = authorization === undefined ? null : /^Bearer\s+(\S+)$/i.exec(authorization);
  if (bearer?.[1] !== undefined) return bearer[1];
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const key of ['private_token', 'access_token']) {
    const value = query[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export function authenticateToken(state: ForgeState, value: string): Actor {
  const token = state.tokenByValue(value);
  const user = token === undefined ? undefined : state.users.get(token.userId);
  if (token === undefined || user === undefined) throw unauthorized();
  if (token.revoked) throw invalidToken('revoked');
  if (token.expiresAt !== null && Date.parse(token.expiresAt) < Date.now()) {
    throw invalidToken('expired');
  }
  if (user.state !== 'active') throw unauthorized();
  return { user, token };
}

function requiredScopes(method: string, extra: readonly string[] | undefined): string[] {
  const base = method === 'GET' || method === 'HEAD' ? ['api', 'read_api'] : ['api'];
  return [...base, ...(extra ?? [])];
}

/**
 * Authenticates every `/api/v4` request before its handler runs. GitLab answers anonymous API
 * calls on public resources; this forge always requires a token (see readme: gaps).
 */
export function registerAuth(
  app: FastifyInstance,
  ctx: ForgeContext,
  actors: WeakMap<FastifyRequest, Actor>,
): void {
  app.addHook('preHandler', (request, _reply, done) => {
    if (!request.url.startsWith('/api/v4/')) {
      done();
      return;
    }
    try {
      authenticateRequest(ctx, actors, request);
      done();
    } catch (error: unknown) {
      done(error as Error);
    }
  });
}

function authenticateRequest(
  ctx: ForgeContext,
  actors: WeakMap<FastifyRequest, Actor>,
  request: FastifyRequest,
): void {
  const value = tokenFromRequest(request);
  if (value === undefined) throw unauthorized();
  const actor = authenticateToken(ctx.state, value);
  const config = request.routeOptions.config as ScopeConfig | undefined;
  const needed = requiredScopes(request.method, config?.scopes);
  if (!needed.some((scope) => actor.token.scopes.includes(scope))) {
    throw insufficientScope(needed.filter((scope) => scope === 'api' || scope === 'read_api'));
  }
  actor.token.lastUsedAt = Date.now();
  actors.set(request, actor);
}
