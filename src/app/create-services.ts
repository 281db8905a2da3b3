import { createHash } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-schema.ts';
import type { Database } from '../db/open-database.ts';
import { CatalogStore } from '../flows/catalog-store.ts';
import { ConnectionRegistry, type ApiFactory } from '../forges/connection-registry.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { agentProfile } from '../agents/agent-profiles.ts';
import { ToolCache, toolCacheDirFor } from '../agents/tool-cache.ts';
import { GatewayService } from '../gateway/gateway-service.ts';
import { DeliveryStore } from '../intake/delivery-store.ts';
import { DeliveryWorker } from '../intake/delivery-worker.ts';
import type { Logger } from '../logging/logger.ts';
import { RunController } from '../runs/run-controller.ts';
import { RunEvents } from '../runs/run-events.ts';
import { RunExecutor } from '../runs/run-executor.ts';
import { RunLogStore } from '../runs/run-log.ts';
import { RunQueue } from '../runs/run-queue.ts';
import { RunScheduler } from '../runs/run-scheduler.ts';
import { RunStore } from '../runs/run-store.ts';
import { MirrorCache } from '../runs/workspace/mirror-cache.ts';
import { createSandbox } from '../sandbox/create-sandbox.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { loadSecretKey, SecretBox } from '../secrets/secret-box.ts';
import { VariableStore } from '../secrets/variable-store.ts';
import { FeatureFlags } from '../triggers/feature-flags.ts';
import { TriggerPipeline } from '../triggers/process-delivery.ts';
import { RunStarter, startJobEvent } from '../triggers/start-run.ts';
import { TriggerStore } from '../triggers/trigger-store.ts';
import { RunAccess } from '../web/run-access.ts';

export interface Services {
  database: Database;
  connections: ConnectionStore;
  registry: ConnectionRegistry;
  triggers: TriggerStore;
  flags: FeatureFlags;
  catalog: CatalogStore;
  deliveries: DeliveryStore;
  runs: RunStore;
  variables: VariableStore;
  pipeline: TriggerPipeline;
  worker: DeliveryWorker;
  queue: RunQueue;
  events: RunEvents;
  logs: RunLogStore;
  sandbox: Sandbox;
  executor: RunExecutor;
  scheduler: RunScheduler;
  controller: RunController;
  access: RunAccess;
  /** The model gateway: grants for runs, and the handler of every request under `/gateway/`. */
  gateway: GatewayService;
  /** The URL people reach Baton at; fixed once the server listens, unless configured. */
  publicUrl: { value: string };
  /** Baton's HTTP port on this host, once listening (forwarded into sandboxes). */
  listenPort: { value: number | null };
}

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  database: Database;
  /** Replaces the GitLab client (tests that count or fail forge calls). */
  createApi?: ApiFactory;
  /** Replaces the configured sandbox (tests). */
  sandbox?: Sandbox;
  workerConcurrency?: number;
  /** More host paths no run may see, e.g. the configuration file Baton was started with. */
  hiddenPaths?: string[];
  /** Wraps every agent CLI's argv inside the sandbox (tests trace its network calls). */
  wrapAgentCommand?: (command: string[]) => string[];
}

/** Baton's own code: no run needs to read it, and its tests hold sample tokens. */
const batonRoot = fileURLToPath(new URL('../..', import.meta.url));

/** This process in `runs.owner`: stable across restarts, so a restart recognises its own runs. */
function ownerId(config: Config): string {
  const dir = createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8);
  return `${hostname()}:${dir}`;
}

/** Wires Baton's stores and background work around one database. Starts nothing. */
export async function createServices(options: ServiceOptions): Promise<Services> {
  const { config, logger, database } = options;
  // Searchable but not listable: the sandbox, running as a per-run uid, must traverse the data
  // directory to bind a workspace; everything secret inside keeps owner-only modes.
  await mkdir(path.join(config.dataDir, 'workspaces'), { recursive: true });
  await chmod(config.dataDir, 0o711);
  await chmod(path.join(config.dataDir, 'workspaces'), 0o711);
  const key = loadSecretKey({ configuredKey: config.secrets.key, dataDir: config.dataDir });
  const box = new SecretBox(key);
  const connections = new ConnectionStore(database.db, box);
  const registry = new ConnectionRegistry(connections, {
    logger,
    ...(options.createApi ? { createApi: options.createApi } : {}),
  });
  await registry.reload();
  const triggers = new TriggerStore(database.db);
  // GitLab warns that one service account shared by several projects can reach all of them
  // from any one; say so at every start, not only when the trigger was created.
  for (const shared of await triggers.sharedServiceAccounts()) {
    logger.warn(shared, 'service account is used by triggers in more than one project or group');
  }
  const listenPort: { value: number | null } = { value: null };
  const publicUrl = {
    value: config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`,
  };
  const access = new RunAccess(key, { adminToken: config.admin.token });
  const runLink = (runId: string) =>
    `${publicUrl.value.replace(/\/+$/, '')}${access.linkFor(runId)}`;
  const flags = new FeatureFlags(database.db);
  const catalog = new CatalogStore(database.db);
  const deliveries = new DeliveryStore(database.db);
  const runs = new RunStore(database.db);
  const variables = new VariableStore(database.db, box);
  const queue = new RunQueue(database.db);
  const events = new RunEvents();
  const gateway = new GatewayService({
    db: database.db,
    config: config.gateway,
    variables,
    logger: logger.child({ component: 'gateway' }),
  });
  // Secrets differ per run, so the executor redacts each run's output (per stream, across chunk
  // boundaries) before it reaches the store; the store itself has nothing further to mask.
  const logs = new RunLogStore({ dataDir: config.dataDir, redact: (text) => text, events });
  const sandbox =
    options.sandbox ??
    createSandbox({
      kind: config.runs.sandbox,
      runsRoot: path.join(config.dataDir, 'sandbox'),
      maskPaths: [config.dataDir, batonRoot, ...(options.hiddenPaths ?? [])],
      logger: logger.child({ component: 'sandbox' }),
    });
  const executor = new RunExecutor({
    runs,
    queue,
    registry,
    variables,
    sandbox,
    gateway,
    mirrors: new MirrorCache({ dataDir: config.dataDir, logger }),
    logs,
    events,
    workspacesDir: path.join(config.dataDir, 'workspaces'),
    limits: {
      memoryBytes: config.runs.memoryMb * 1024 * 1024,
      pids: config.runs.maxProcesses,
      cpuPercent: config.runs.cpuPercent,
      wallMs: config.runs.timeoutMinutes * 60_000,
      outputBytes: config.runs.maxOutputMb * 1024 * 1024,
    },
    runLink,
    apiPort: () => listenPort.value,
    agents: {
      profile: agentProfile,
      tools: new ToolCache({
        dir: toolCacheDirFor(config),
        logger: logger.child({ component: 'tool-cache' }),
        registryEnvironment: config.agents.registryEnvironment,
      }),
      ...(options.wrapAgentCommand ? { wrapCommand: options.wrapAgentCommand } : {}),
    },
    noteUpdateMs: config.agents.noteUpdateSeconds * 1000,
    logger: logger.child({ component: 'runs' }),
  });
  const controller = new RunController({ runs, queue, executor });
  const scheduler = new RunScheduler({
    queue,
    executor,
    limits: { global: config.runs.maxConcurrent, perProject: config.runs.maxConcurrentPerProject },
    owner: ownerId(config),
    logger: logger.child({ component: 'scheduler' }),
    recoverOrphan: (runId, status) => controller.recoverOrphan(runId, status),
    cancelRequested: (runId) => queue.cancelRequested(runId),
  });
  const pipeline = new TriggerPipeline({
    registry,
    triggers,
    flags,
    catalog,
    deliveries,
    stopRuns: async ({ noteable, account, by }) => {
      const onThread = await queue.onNoteable({
        connectionId: account.connectionId,
        projectId: noteable.projectId,
        type: noteable.type,
        iid: noteable.iid,
      });
      const cancelled: string[] = [];
      for (const run of onThread.filter((r) => r.serviceAccountId === account.id)) {
        if ((await controller.cancel(run.id, by)).cancelled) cancelled.push(run.id);
      }
      return cancelled;
    },
    logger: logger.child({ component: 'triggers' }),
  });
  const starter = new RunStarter({
    registry,
    triggers,
    catalog,
    deliveries,
    runs,
    queue,
    runLink,
    onRunQueued: () => {
      scheduler.notify();
    },
    logger: logger.child({ component: 'triggers' }),
  });
  const workerSlots = Math.max(2, options.workerConcurrency ?? 16);
  const worker: DeliveryWorker = new DeliveryWorker({
    store: deliveries,
    // Acknowledging (fast) and preparing a run (many forge calls) are separate jobs, and a
    // quarter of the slots prepare runs, so acknowledgements always have free slots.
    reserved: { event: startJobEvent, concurrency: Math.max(1, Math.floor(workerSlots / 4)) },
    processor: {
      process: (delivery) =>
        delivery.event === startJobEvent ? starter.process(delivery) : pipeline.process(delivery),
    },
    logger: logger.child({ component: 'intake' }),
    concurrency: workerSlots,
  });
  return {
    database,
    connections,
    registry,
    triggers,
    flags,
    catalog,
    deliveries,
    runs,
    variables,
    pipeline,
    worker,
    queue,
    events,
    logs,
    sandbox,
    executor,
    scheduler,
    controller,
    access,
    gateway,
    publicUrl,
    listenPort,
  };
}
