import { mkdirSync } from 'node:fs';
import type { Config } from '../config/config-schema.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase, type Database } from '../db/open-database.ts';
import type { Logger } from '../logging/logger.ts';
import { buildApp, type App } from './build-app.ts';

export interface RunningServer {
  app: App;
  database: Database;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, applies migrations, and starts listening. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // The data directory holds the embedded database and, later, workspaces: owner-only.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase({ config, logger });
  try {
    await migrateToLatest(database, logger);
    const app = buildApp({ config, logger });
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    const url = config.server.publicUrl ?? address;
    logger.info({ url, database: database.kind }, 'baton listening');
    return {
      app,
      database,
      url,
      async close() {
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
