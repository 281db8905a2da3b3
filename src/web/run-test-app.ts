import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../app/build-app.ts';
import { configSchema } from '../config/config-schema.ts';
import type { Database } from '../db/open-database.ts';
import type { RunStatus } from '../db/schema.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { createLogger } from '../logging/logger.ts';
import { RunEvents } from '../runs/run-events.ts';
import { RunLogStore } from '../runs/run-log.ts';
import { RunStore, type NewRun, type Run } from '../runs/run-store.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { registerRunRoutes } from './register-run-routes.ts';
import { RunAccess } from './run-access.ts';

/** Test support (not shipped): the run routes on a real app over real stores. */

export const adminToken = 'admin-token-for-run-tests-0123456789';
export const maskedValue = 's3cr3t-deploy-key-value';
export const gitlabUrl = 'https://gitlab.example.test';

export interface RunTestApp {
  app: App;
  runs: RunStore;
  logs: RunLogStore;
  events: RunEvents;
  access: RunAccess;
  cancelCalls: { id: string; by: string }[];
  /** What the fake cancelRun answers. */
  cancelAnswer: { cancelled: boolean; status: RunStatus };
  createRun(overrides?: Partial<NewRun>): Promise<Run>;
  setStatus(id: string, to: RunStatus, reason?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startRunTestApp(
  database: Database,
  options: { heartbeatMs?: number } = {},
): Promise<RunTestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'baton-web-'));
  const logger = createLogger({ level: 'silent' });
  const app = await buildApp({ config: configSchema.parse({ dataDir }), logger });
  const connections = new ConnectionStore(database.db, new SecretBox(randomBytes(32)));
  await connections.upsertConnection({
    id: 'gitlab',
    baseUrl: gitlabUrl,
    webhookSecret: 'webhook-secret-0001',
  });
  const serviceAccountId = await connections.upsertServiceAccount({
    connectionId: 'gitlab',
    username: 'claude-agent',
    forgeUserId: 41,
    name: 'Claude agent',
    email: null,
    token: 'glpat-claude-agent-token-0001',
  });
  const runs = new RunStore(database.db);
  const events = new RunEvents();
  const logs = new RunLogStore({
    dataDir,
    events,
    redact: (text) => text.replaceAll(maskedValue, '[MASKED]'),
  });
  const access = new RunAccess(randomBytes(32), { adminToken });
  const state: Pick<RunTestApp, 'cancelCalls' | 'cancelAnswer'> = {
    cancelCalls: [],
    cancelAnswer: { cancelled: true, status: 'running' },
  };
  await registerRunRoutes(app, {
    runs,
    logs,
    events,
    auth: access,
    cancelRun: (id, by) => {
      state.cancelCalls.push({ id, by });
      return Promise.resolve(state.cancelAnswer);
    },
    forgeBaseUrl: (id) => (id === 'gitlab' ? gitlabUrl : undefined),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  await app.ready();
  return Object.assign(state, {
    app,
    runs,
    logs,
    events,
    access,
    createRun: (overrides: Partial<NewRun> = {}) =>
      runs.createQueued({ ...plausibleRun(serviceAccountId), ...overrides }, 'mention by @alice'),
    setStatus: async (id: string, to: RunStatus, reason = 'test') => {
      const run = await runs.get(id);
      await database.db.updateTable('runs').set({ status: to }).where('id', '=', id).execute();
      await database.db
        .insertInto('run_transitions')
        .values({ run_id: id, from_status: run?.status ?? null, to_status: to, reason })
        .execute();
    },
    close: async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

function plausibleRun(serviceAccountId: number): NewRun {
  return {
    connectionId: 'gitlab',
    triggerId: null,
    deliveryId: null,
    serviceAccountId,
    eventType: 'mention',
    projectId: 7,
    projectPath: 'demo/app',
    noteable: { type: 'issue', id: 101, iid: 12 },
    discussionId: 'f00dfeed',
    ackNoteId: 555,
    requestedBy: { id: 3, username: 'alice', name: 'Alice Liddell', email: 'alice@example.test' },
    flowSource: '.gitlab/duo/flows/claude.yaml',
    networkPolicy: null,
    flow: {
      format: 'gitlab',
      image: 'node:22-slim',
      commands: ['echo "$AI_FLOW_INPUT"'],
      variables: ['DEPLOY_KEY'],
      injectGatewayToken: true,
      idTokens: {},
    },
    environment: {
      AI_FLOW_CONTEXT: '{"type":"issue","description":"confidential text"}',
      AI_FLOW_INPUT: '@claude-agent please fix the build',
      AI_FLOW_EVENT: 'mention',
      AI_FLOW_PROJECT_PATH: 'demo/app',
      GIT_COMMITTER_EMAIL: 'alice@example.test',
      DEPLOY_KEY: maskedValue,
    },
  };
}
