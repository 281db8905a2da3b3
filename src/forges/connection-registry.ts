import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { ConnectionStore, ForgeConnection, ServiceAccount } from './connection-store.ts';
import type { ForgeApi } from './forge.ts';
import { GitLabApi } from './gitlab/gitlab-api.ts';
import type { GitLabHttpOptions } from './gitlab/gitlab-http.ts';
import { gitLabTokenMatches } from './gitlab/verify-gitlab-webhook.ts';

export type ApiFactory = (connection: ForgeConnection, account: ServiceAccount) => ForgeApi;

/**
 * The configured forge connections, held in memory so that the webhook hot path needs no
 * database read to check a secret; reloaded whenever the admin API changes them. One API
 * client per service account, created on first use.
 */
export class ConnectionRegistry {
  readonly #store: ConnectionStore;
  readonly #createApi: ApiFactory;
  #connections = new Map<string, ForgeConnection>();
  #apis = new Map<string, ForgeApi>();

  constructor(
    store: ConnectionStore,
    options: { logger: Logger; createApi?: ApiFactory; http?: Partial<GitLabHttpOptions> },
  ) {
    this.#store = store;
    this.#createApi =
      options.createApi ??
      ((connection, account) =>
        new GitLabApi({
          ...options.http,
          baseUrl: connection.baseUrl,
          token: account.token,
          logger: options.logger,
        }));
  }

  async reload(): Promise<void> {
    const connections = await this.#store.all();
    this.#connections = new Map(connections.map((c) => [c.id, c]));
    this.#apis = new Map();
  }

  list(): ForgeConnection[] {
    return [...this.#connections.values()];
  }

  get(id: string): ForgeConnection | undefined {
    return this.#connections.get(id);
  }

  /**
   * The connection whose webhook secret the token matches. Without a connection id every
   * connection is compared, all of them, so the time taken does not say which one matched.
   */
  matchWebhook(
    connectionId: string | undefined,
    token: string | undefined,
  ): ForgeConnection | undefined {
    if (connectionId !== undefined) {
      const connection = this.#connections.get(connectionId);
      return connection && gitLabTokenMatches(token, connection.webhookSecret)
        ? connection
        : undefined;
    }
    let found: ForgeConnection | undefined;
    for (const connection of this.#connections.values()) {
      if (gitLabTokenMatches(token, connection.webhookSecret) && found === undefined)
        found = connection;
    }
    return found;
  }

  serviceAccount(
    connectionId: string,
    forgeUserIdOrUsername: number | string,
  ): ServiceAccount | undefined {
    const accounts = this.#connections.get(connectionId)?.serviceAccounts ?? [];
    return typeof forgeUserIdOrUsername === 'number'
      ? accounts.find((a) => a.forgeUserId === forgeUserIdOrUsername)
      : accounts.find((a) => a.username.toLowerCase() === forgeUserIdOrUsername.toLowerCase());
  }

  serviceAccountById(id: number): ServiceAccount | undefined {
    for (const connection of this.#connections.values()) {
      const account = connection.serviceAccounts.find((a) => a.id === id);
      if (account) return account;
    }
    return undefined;
  }

  /** The forge API acting as `account`. */
  api(account: ServiceAccount): ForgeApi {
    const key = `${account.connectionId}\u0000${String(account.id)}`;
    let api = this.#apis.get(key);
    if (!api) {
      const connection = this.#connections.get(account.connectionId);
      if (!connection) {
        throw new AppError('NOT_FOUND', `Unknown connection ${account.connectionId}`);
      }
      api = this.#createApi(connection, account);
      this.#apis.set(key, api);
    }
    return api;
  }
}
