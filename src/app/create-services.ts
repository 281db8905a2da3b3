import type { Config } from '../config/config-schema.ts';
import type { Database } from '../db/open-database.ts';
import { CatalogStore } from '../flows/catalog-store.ts';
import { ConnectionRegistry, type ApiFactory } from '../forges/connection-registry.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { DeliveryStore } from '../intake/delivery-store.ts';
import { DeliveryWorker } from '../intake/delivery-worker.ts';
import type { Logger } from '../logging/logger.ts';
import { RunStore } from '../runs/run-store.ts';
import { loadSecretKey, SecretBox } from '../secrets/secret-box.ts';
import { VariableStore } from '../secrets/variable-store.ts';
import { FeatureFlags } from '../triggers/feature-flags.ts';
import { TriggerPipeline } from '../triggers/process-delivery.ts';
import { TriggerStore } from '../triggers/trigger-store.ts';

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
  /** The URL people reach Baton at; fixed once the server listens, unless configured. */
  publicUrl: { value: string };
}

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  database: Database;
  /** Replaces the GitLab client (tests that count or fail forge calls). */
  createApi?: ApiFactory;
  workerConcurrency?: number;
}

/** Wires Baton's stores and background work around one database. Starts nothing. */
export async function createServices(options: ServiceOptions): Promise<Services> {
  const { config, logger, database } = options;
  const box = new SecretBox(
    loadSecretKey({ configuredKey: config.secrets.key, dataDir: config.dataDir }),
  );
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
  const flags = new FeatureFlags(database.db);
  const catalog = new CatalogStore(database.db);
  const deliveries = new DeliveryStore(database.db);
  const runs = new RunStore(database.db);
  const variables = new VariableStore(database.db, box);
  const publicUrl = {
    value: config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`,
  };
  const pipeline = new TriggerPipeline({
    registry,
    triggers,
    flags,
    catalog,
    deliveries,
    runs,
    publicUrl: () => publicUrl.value.replace(/\/+$/, ''),
    logger: logger.child({ component: 'triggers' }),
  });
  const worker = new DeliveryWorker({
    store: deliveries,
    processor: pipeline,
    logger: logger.child({ component: 'intake' }),
    ...(options.workerConcurrency === undefined ? {} : { concurrency: options.workerConcurrency }),
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
    publicUrl,
  };
}
