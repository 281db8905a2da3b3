import { randomBytes } from 'node:crypto';
import { buildApp } from '../app/build-app.ts';
import { configSchema } from '../config/config-schema.ts';
import type { Database } from '../db/open-database.ts';
import { AppError } from '../errors/app-error.ts';
import { ConnectionRegistry } from '../forges/connection-registry.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { CatalogStore } from '../flows/catalog-store.ts';
import { createLogger } from '../logging/logger.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { VariableStore } from '../secrets/variable-store.ts';
import { FeatureFlags } from '../triggers/feature-flags.ts';
import { TriggerStore } from '../triggers/trigger-store.ts';
import { registerAdminApi } from './register-admin-api.ts';
import type { VerifiedAccount, VerifyAccount } from './verify-gitlab-account.ts';

/** Test support (not shipped): a real app with real stores and a scripted forge identity. */

export const adminToken = 'admin-token-for-tests-0123456789';
export const gitlabUrl = 'https://gitlab.example.test';
export const webhookSecret = 'webhook-secret-for-tests-0001';

/** What the fake forge says about each token it knows; any other token is refused. */
export const knownTokens: Record<string, VerifiedAccount> = {
  'glpat-claude-agent-token-000000001': {
    id: 41,
    username: 'claude-agent',
    name: 'Claude agent',
    email: 'claude-agent@noreply.example.test',
    bot: true,
    scopes: ['api', 'write_repository', 'ai_features'],
    expiresAt: null,
  },
  'glpat-alice-personal-token-00000001': {
    id: 7,
    username: 'alice',
    name: 'Alice',
    email: 'alice@example.test',
    bot: false,
    scopes: ['api'],
    expiresAt: null,
  },
  'glpat-read-only-token-000000000001': {
    id: 8,
    username: 'reader',
    name: 'Reader',
    email: null,
    bot: true,
    scopes: ['read_api', 'read_repository'],
    expiresAt: null,
  },
};

export const fakeVerifyAccount: VerifyAccount = (_baseUrl, token) => {
  const account = knownTokens[token];
  if (account) return Promise.resolve(account);
  return Promise.reject(
    new AppError('FORGE_UNAUTHORIZED', 'GitLab answered 401 to GET /api/v4/user: 401 Unauthorized'),
  );
};

export interface AdminTestOptions {
  token?: string | null;
  publicUrl?: string;
  verifyAccount?: VerifyAccount;
}

export async function createAdminTestApp(database: Database, options: AdminTestOptions = {}) {
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: {
      write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  const config = configSchema.parse({
    server: options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl },
    admin: options.token === null ? {} : { token: options.token ?? adminToken },
  });
  const box = new SecretBox(randomBytes(32));
  const connections = new ConnectionStore(database.db, box);
  const registry = new ConnectionRegistry(connections, { logger });
  const stores = {
    connections,
    registry,
    triggers: new TriggerStore(database.db),
    flags: new FeatureFlags(database.db),
    catalog: new CatalogStore(database.db),
    variables: new VariableStore(database.db, box),
  };
  const app = await buildApp({ config, logger });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  await registerAdminApi(app, {
    config,
    logger,
    ...stores,
    verifyAccount: options.verifyAccount ?? fakeVerifyAccount,
  });
  await app.ready();

  /** A call with the admin token; `headers` replaces the auth header when given. */
  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${adminToken}` },
  ) =>
    app.inject({
      method,
      url,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  return { app, call, config, logLines, routes, ...stores };
}

export type AdminTestApp = Awaited<ReturnType<typeof createAdminTestApp>>;
