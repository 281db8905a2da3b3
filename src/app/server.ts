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
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // The data directory holds the embedded database, the secret key and, later, workspaces.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase({ config, logger });
  try {
    await migrateToLatest(database, logger);
    const services = await createServices({ config, logger, database });
    const app = await buildApp({ config, logger, services });
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    services.publicUrl.value = config.server.publicUrl ?? address;
    services.worker.start();
    logger.info({ url: services.publicUrl.value, database: database.kind }, 'baton listening');
    return {
      app,
      services,
      url: services.publicUrl.value,
      async close() {
        await app.close();
        await services.worker.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
