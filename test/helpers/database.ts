import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, inject } from 'vitest';
import { configSchema, type Config } from '../../src/config/config-schema.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openDatabase, type Database } from '../../src/db/open-database.ts';
import { isAppError } from '../../src/errors/app-error.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';
import { startPostgresCommand, testPostgresUrl } from './global-setup.ts';

export { startPostgresCommand, testPostgresUrl };

export type DatabaseEngine = 'postgres' | 'pglite';

export const databaseEngines: readonly DatabaseEngine[] = ['postgres', 'pglite'];

export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}

/**
 * A fresh schema name, `t_<run>_<12 hex>`, valid as an unquoted Postgres identifier. The run
 * prefix lets the global teardown drop exactly this run's schemas.
 */
export function randomSchemaName(): string {
  return `t_${inject('testRunId')}_${randomBytes(6).toString('hex')}`;
}

export function testDatabaseConfig(engine: DatabaseEngine, dataDir: string): Config {
  return configSchema.parse({
    dataDir,
    database: engine === 'postgres' ? { url: testPostgresUrl, poolSize: 4 } : {},
  });
}

/**
 * Opens a test database and turns an unreachable Postgres into a failure that says how to start
 * it. Postgres tests never skip: a suite that silently tests one engine tests half of Baton.
 */
export async function openTestDatabase(
  engine: DatabaseEngine,
  options: { dataDir: string; schema: string; logger?: Logger },
): Promise<Database> {
  try {
    return await openDatabase({
      config: testDatabaseConfig(engine, options.dataDir),
      logger: options.logger ?? silentLogger(),
      schema: options.schema,
    });
  } catch (error) {
    if (engine === 'postgres' && isAppError(error) && error.code === 'DB_UNAVAILABLE') {
      throw new Error(
        `The Postgres tests need a Postgres server. ${error.message}\n` +
          `Start it with:\n  ${startPostgresCommand}\n` +
          'or point BATON_TEST_DATABASE_URL at another server.',
        { cause: error },
      );
    }
    throw error;
  }
}

export interface DescribeEachDatabaseOptions {
  /** Apply Baton's migrations before each test. Default true. */
  migrate?: boolean;
  /** Only these engines (suites whose subject is not the database, and slow to run twice). */
  engines?: readonly DatabaseEngine[];
}

/**
 * Declares the same suite once per engine. Each test gets its own database: a fresh schema
 * `t_<random>` on Postgres (and on PGlite, in one data directory per suite). The schema is
 * dropped after a passing test and kept after a failing one, with its name printed, so that the
 * state that failed can be inspected.
 */
export function describeEachDatabase(
  name: string,
  suite: (getDatabase: () => Database, engine: DatabaseEngine) => void,
  options: DescribeEachDatabaseOptions = {},
): void {
  for (const engine of options.engines ?? databaseEngines) {
    describe(`${name} [${engine}]`, () => {
      let dataDir = '';
      let schema = '';
      let current: Database | undefined;
      let anyFailed = false;

      beforeAll(async () => {
        dataDir = await mkdtemp(join(tmpdir(), 'baton-db-test-'));
      });

      beforeEach(async () => {
        schema = randomSchemaName();
        current = await openTestDatabase(engine, { dataDir, schema });
        if (options.migrate ?? true) await migrateToLatest(current, silentLogger());
      });

      afterEach(async (context) => {
        const database = current;
        current = undefined;
        if (database === undefined) return;
        const failed = context.task.result?.state === 'fail';
        try {
          if (failed) {
            anyFailed = true;
            await sql`comment on schema ${sql.id(schema)} is 'kept'`.execute(database.db);
            console.error(keptMessage(engine, schema, dataDir));
          } else if (engine === 'pglite') {
            // Postgres schemas are dropped by the global teardown (see global-setup.ts).
            await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
          }
        } finally {
          await database.close();
        }
      });

      afterAll(async () => {
        if (dataDir !== '' && !anyFailed) await rm(dataDir, { recursive: true, force: true });
      });

      suite(() => {
        if (current === undefined) throw new Error('getDatabase() is only usable inside a test');
        return current;
      }, engine);
    });
  }
}

function keptMessage(engine: DatabaseEngine, schema: string, dataDir: string): string {
  return engine === 'postgres'
    ? `Kept Postgres schema ${schema} of the failed test; inspect it with:\n` +
        `  psql '${testPostgresUrl}' -c 'set search_path to ${schema}' -c '\\dt'`
    : `Kept PGlite data directory ${join(dataDir, 'pglite')} (schema ${schema}) of the failed test`;
}
