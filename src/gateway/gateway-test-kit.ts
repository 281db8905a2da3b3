import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configSchema, type Config } from '../config/config-schema.ts';
import type { Database } from '../db/open-database.ts';
import { createLogger } from '../logging/logger.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { VariableStore } from '../secrets/variable-store.ts';
import {
  startScriptedProvider,
  type ScriptedProvider,
} from '../../test/providers/scripted-provider.ts';
import { GatewayService } from './gateway-service.ts';
import { meteredUsage } from './provider-cases.ts';

/** Test support (not shipped): a gateway on a real listener over a real database. */

export const instanceKeys = {
  anthropic: 'sk-ant-instance-key-000000',
  openai: 'sk-openai-instance-key-0000',
  google: 'gemini-instance-key-0000000',
} as const;

export const connectionId = 'gl';
export const projectPath = 'demo/app';

export interface TestGateway {
  url: string;
  service: GatewayService;
  variables: VariableStore;
  /** Grants a run on demo/app that expires in an hour; returns its token. */
  grantRun(runId: string, options?: { expiresAt?: Date; projectPath?: string }): Promise<string>;
  /** A second gateway process on the same database (a restart). */
  restart(): Promise<TestGateway>;
  close(): Promise<void>;
}

export type GatewayOverrides = Partial<Omit<Config['gateway'], 'providers'>> & {
  /** Provider base URL for all three providers. */
  upstreamUrl: string;
  /** Instance keys; default `instanceKeys`; null for none. */
  keys?: Partial<Record<'anthropic' | 'openai' | 'google', string>> | null;
};

export function gatewayConfig(overrides: GatewayOverrides): Config['gateway'] {
  const { upstreamUrl, keys, ...rest } = overrides;
  const chosen = keys === null ? {} : (keys ?? instanceKeys);
  const provider = (name: 'anthropic' | 'openai' | 'google') => ({
    baseUrl: upstreamUrl,
    ...(chosen[name] === undefined ? {} : { apiKey: chosen[name] }),
  });
  const parsed = configSchema.parse({
    gateway: {
      providers: {
        anthropic: provider('anthropic'),
        openai: provider('openai'),
        google: provider('google'),
      },
    },
  }).gateway;
  // Spread after parsing: tests use timeouts below the configuration's minimums.
  return { ...parsed, ...rest };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function ensureConnection(database: Database): Promise<void> {
  await database.db
    .insertInto('forge_connections')
    .values({
      id: connectionId,
      kind: 'gitlab',
      base_url: 'http://127.0.0.1:1',
      webhook_secret: 'x',
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function startTestGateway(
  database: Database,
  overrides: GatewayOverrides,
  box = new SecretBox(randomBytes(32)),
): Promise<TestGateway> {
  await ensureConnection(database);
  const variables = new VariableStore(database.db, box);
  const service = new GatewayService({
    db: database.db,
    config: gatewayConfig(overrides),
    variables,
    logger: createLogger({ level: 'silent' }),
    recorder: { flushDelayMs: 10 },
  });
  await service.start();
  const server = createServer(service.handle);
  const url = await listen(server);
  return {
    url,
    service,
    variables,
    async grantRun(runId, options = {}) {
      const granted = await service.grant({
        runId,
        connectionId,
        projectPath: options.projectPath ?? projectPath,
        expiresAt: options.expiresAt ?? new Date(Date.now() + 3_600_000),
      });
      return granted.token;
    },
    restart: () => startTestGateway(database, overrides, box),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await service.stop();
    },
  };
}

/**
 * For a suite: the scripted provider every test's gateway calls, started before the suite's
 * tests (accepting the instance keys, answering "hi there" with `meteredUsage`) and closed
 * after, and `withGateway`, which runs a test body against a fresh gateway over the test's
 * database that calls it, closed however the body ends.
 */
export function useGatewayTestbed(getDatabase: () => Database): {
  upstream: () => ScriptedProvider;
  withGateway: (
    overrides: Partial<GatewayOverrides>,
    body: (gateway: TestGateway) => Promise<void>,
  ) => Promise<void>;
} {
  let provider: ScriptedProvider | undefined;
  beforeAll(async () => {
    provider = await startScriptedProvider({
      keys: { ...instanceKeys },
      scenario: { name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage },
    });
  });
  afterAll(async () => {
    await provider?.close();
  });
  const upstream = () => {
    if (provider === undefined) throw new Error('the scripted provider starts in beforeAll');
    return provider;
  };
  return {
    upstream,
    async withGateway(overrides, body) {
      const gateway = await startTestGateway(getDatabase(), {
        upstreamUrl: upstream().url,
        ...overrides,
      });
      try {
        await body(gateway);
      } finally {
        await gateway.close();
      }
    },
  };
}
