import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RepositoryStore } from './git/repository-store.ts';
import type { ForgeUrls } from './forge-urls.ts';
import type { ForgeState } from './state/forge-state.ts';
import type { AccessToken, User } from './state/types.ts';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.ts';

export interface Actor {
  user: User;
  token: AccessToken;
}

/**
 * What every route module is given. `state` is read at request time: an admin reset replaces
 * it, and a route must never hold on to the old one.
 */
export interface ForgeContext {
  state: ForgeState;
  readonly urls: ForgeUrls;
  readonly store: RepositoryStore;
  readonly webhooks: WebhookDispatcher;
  readonly log: Logger;
  actor(request: FastifyRequest): Actor;
}
