import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { configSchema, type Config } from '../../src/config/config-schema.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openDatabase, type Database } from '../../src/db/open-database.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';

export type Engine = 'postgres' | 'pglite';

export interface BenchBaton {
  config: Config;
  logger: Logger;
  database: Database;
  /** The `bench_<hex>` schema on Postgres; undefined on PGlite (in `dataDir`). */
  schema: string | undefined;
  dataDir: string;
}

/**
 * What every bench's Baton process starts from, as a deployment would: a fresh data directory,
 * a fresh `bench_<hex>` schema on Postgres (PGlite lives in the data directory), the
 * configuration parsed from `settings` on top of those, logging at `logLevel` (default info)
 * written to /dev/null, and every migration applied.
 */
export async function openBenchBaton(input: {
  engine: Engine;
  postgresUrl: string;
  logLevel?: 'info' | 'silent';
  settings?: Record<string, unknown>;
}): Promise<BenchBaton> {
  const dataDir = await mkdtemp(join(tmpdir(), 'baton-bench-data-'));
  const schema =
    input.engine === 'postgres' ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const config = configSchema.parse({
    ...input.settings,
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    database: input.engine === 'postgres' ? { url: input.postgresUrl } : {},
    log: { level: input.logLevel ?? 'info' },
  });
  const logger = createLogger({
    level: config.log.level,
    destination: pino.destination({ dest: '/dev/null', sync: true }),
  });
  const database = await openDatabase({
    config,
    logger,
    ...(schema === undefined ? {} : { schema }),
  });
  await migrateToLatest(database, logger);
  return { config, logger, database, schema, dataDir };
}
