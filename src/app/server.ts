import { mkdirSync } from 'node:fs';
import type { Config } from '../config/config-schema.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import type { Logger } from '../logging/logger.ts';
import { buildApp, type App } from './build-app.ts';
import { createServices, type Services } from './create-services.ts';

export interface RunningServer {
  app: App;
  services: Services;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, applies migrations, starts listening and starts background work. */
export async function startServer(
  config: Config,
  logger: Logger,
  options: { hiddenPaths?: string[] } = {},
): Promise<RunningServer> {
  // The data directory holds the embedded database, the secret key, mirrors and workspaces.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
  const database = await openDatabase({ config, logger });
  try {
    await migrateToLatest(database, logger);
    const services = await createServices({ config, logger, database, ...options });
    await services.gateway.start();
    const app = await buildApp({ config, logger, services });
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    services.publicUrl.value = config.server.publicUrl ?? address;
    services.listenPort.value = new URL(address).port === '' ? null : Number(new URL(address).port);
    const probe = await services.sandbox.probe();
    if (probe.ok) {
      logger.info({ sandbox: services.sandbox.name }, 'sandbox probe passed');
    } else {
      // Runs are refused, each with this reason in its thread; nothing runs unsandboxed.
      logger.error(
        { sandbox: services.sandbox.name, reason: probe.reason, fix: probe.fix },
        'sandbox probe failed; runs are refused',
      );
      services.executor.refuseRuns(
        `The ${services.sandbox.name} sandbox does not work on this Baton server: ${probe.reason}. An administrator can fix it: ${probe.fix}`,
      );
    }
    await services.scheduler.start();
    services.worker.start();
    logger.info({ url: services.publicUrl.value, database: database.kind }, 'baton listening');
    return {
      app,
      services,
      url: services.publicUrl.value,
      async close() {
        await app.close();
        await services.worker.stop();
        await services.scheduler.stop();
        await services.gateway.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
