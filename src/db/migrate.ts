import { setTimeout as delay } from 'node:timers/promises';
import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './open-database.ts';

/** Baton's own names rather than Kysely's defaults, so that a shared database says whose they are. */
const migrationTableName = 'baton_migration';
const migrationLockTableName = 'baton_migration_lock';

export interface MigrationStatusEntry {
  name: string;
  appliedAt: Date | null;
}

const staticProvider: MigrationProvider = {
  getMigrations: () =>
    Promise.resolve(
      Object.fromEntries(migrations.map(({ name, migration }) => [name, migration])) as Record<
        string,
        Migration
      >,
    ),
};

/**
 * Brings the database to this build's latest migration, in one transaction under Kysely's
 * migration lock, so several Baton processes starting together apply each migration once.
 */
export async function migrateToLatest(
  database: Database,
  logger: Logger,
): Promise<{ applied: string[] }> {
  await assertSchemaNotTooNew(database);
  const schema = await currentSchema(database);
  const migrator = new Migrator({
    db: database.db,
    provider: staticProvider,
    migrationTableName,
    migrationLockTableName,
    // Without an explicit schema Kysely looks for its table in every schema it can see and
    // would take another schema's table for its own.
    migrationTableSchema: schema,
  });

  let outcome = await migrator.migrateToLatest();
  // Kysely's migrator lists the tables of every schema; one dropped by someone else in the
  // middle of that listing fails it with "schema … does not exist". Nothing was applied: again,
  // after a short pause, since such drops come in runs (a test suite's teardown dropping its
  // schemas one after another).
  for (
    let attempt = 1;
    attempt <= droppedElsewhereAttempts && droppedElsewhere(outcome.error, schema);
    attempt += 1
  ) {
    await delay(Math.min(25 * attempt, 250));
    outcome = await migrator.migrateToLatest();
  }
  const { error, results = [] } = outcome;
  if (error !== undefined) {
    const failed = results
      .filter((result) => result.status === 'Error')
      .map((r) => r.migrationName);
    const which = failed.length > 0 ? `migration ${failed.join(', ')}` : 'migrations';
    logger.error({ err: error, failed, schema }, 'Database migration failed');
    throw new AppError('DB_MIGRATION_FAILED', `Database ${which} failed: ${messageOf(error)}`, {
      cause: error,
      details: { failed },
    });
  }

  const applied = results
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
  if (applied.length > 0) logger.info({ applied, schema }, 'Applied database migrations');
  else logger.debug({ schema }, 'Database schema is up to date');
  return { applied };
}

/** About 4 s of retries in all: a race with other schemas' drops, never a fault of Baton's. */
const droppedElsewhereAttempts = 20;

function droppedElsewhere(error: unknown, schema: string): boolean {
  const pgError = error as { code?: unknown; message?: unknown } | undefined;
  return (
    pgError?.code === '3F000' &&
    typeof pgError.message === 'string' &&
    !pgError.message.includes(`"${schema}"`)
  );
}

/**
 * Every migration this build knows, with when it was applied, followed by any applied migration
 * it does not know (from a newer Baton). Reads only; safe against any database version.
 */
export async function migrationStatus(database: Database): Promise<MigrationStatusEntry[]> {
  const applied = await readAppliedMigrations(database);
  const known = migrations.map(({ name }) => ({ name, appliedAt: applied.get(name) ?? null }));
  const knownNames = new Set(migrations.map(({ name }) => name));
  const unknown = [...applied]
    .filter(([name]) => !knownNames.has(name))
    .map(([name, appliedAt]) => ({ name, appliedAt }));
  return [...known, ...unknown];
}

/**
 * Refuses a database that a newer Baton has migrated: this build would run against tables it
 * does not understand, and a later downgrade of the data would be silent.
 */
export async function assertSchemaNotTooNew(database: Database): Promise<void> {
  const knownNames = new Set(migrations.map(({ name }) => name));
  const unknown = [...(await readAppliedMigrations(database)).keys()].filter(
    (name) => !knownNames.has(name),
  );
  if (unknown.length > 0) {
    throw new AppError(
      'DB_SCHEMA_TOO_NEW',
      `The database has migrations this Baton build does not know: ${unknown.join(', ')}. ` +
        'It was migrated by a newer Baton; run that version (or newer) against it.',
      { details: { unknown } },
    );
  }
}

async function readAppliedMigrations(database: Database): Promise<Map<string, Date>> {
  const schema = await currentSchema(database);
  const table = await sql<{ found: number }>`
    select 1 as found from information_schema.tables
    where table_schema = ${schema} and table_name = ${migrationTableName}`.execute(database.db);
  if (table.rows.length === 0) return new Map();

  // Kysely keeps the time a migration ran as ISO 8601 text.
  const { rows } = await sql<{ name: string; timestamp: string }>`
    select name, timestamp from ${sql.table(`${schema}.${migrationTableName}`)}
    order by name`.execute(database.db);
  return new Map(rows.map((row) => [row.name, new Date(row.timestamp)]));
}

async function currentSchema(database: Database): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
    database.db,
  );
  const schema = rows[0]?.schema;
  if (schema === undefined) {
    throw new AppError('INTERNAL', 'The database reports no current schema (empty search_path)');
  }
  return schema;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
