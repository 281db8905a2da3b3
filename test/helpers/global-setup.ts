import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

// Defined here rather than in database.ts because a globalSetup module must not import vitest.
/** The Postgres every test uses; trust auth on the loopback, so the URL carries no password. */
export const testPostgresUrl =
  process.env['BATON_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Prefixes this run's test schemas, so teardown drops exactly these. */
const testRunId = randomBytes(3).toString('hex');

export const startPostgresCommand =
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/**
 * Creates the test database on the test Postgres when it is missing, once per run. An
 * unreachable server is reported here and fails every Postgres test with the same advice;
 * PGlite tests still run.
 */
export async function setup(project: TestProject): Promise<void> {
  project.provide('testRunId', testRunId);
  const target = new URL(testPostgresUrl);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (database === '' || database === 'postgres') return;
  const admin = new URL(testPostgresUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: admin.toString(),
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      `\nPostgres at ${target.host} is not reachable (${reason}); every Postgres test will fail.\n` +
        `Start it with:\n  ${startPostgresCommand}\n`,
    );
    return;
  }
  try {
    const { rows } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rows.length === 0)
      await client.query(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * Drops this run's test schemas, except those of failed tests (marked `kept`). Dropping at the
 * end rather than after each test keeps one test's DROP SCHEMA from racing another worker's
 * catalog scan (Kysely's migrator lists every schema's tables).
 */
export async function teardown(): Promise<void> {
  const client = new pg.Client({
    connectionString: testPostgresUrl,
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    const { rows } = await client.query<{ name: string }>(
      `select nspname as name from pg_namespace
        where nspname like $1 and coalesce(obj_description(oid, 'pg_namespace'), '') <> 'kept'`,
      [`t\\_${testRunId}\\_%`],
    );
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    testRunId: string;
  }
}
