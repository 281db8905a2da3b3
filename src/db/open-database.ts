import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/config-schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { DatabaseSchema } from './schema.ts';

export interface Database {
  kind: 'postgres' | 'pglite';
  db: Kysely<DatabaseSchema>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  config: Config;
  logger: Logger;
  /** Postgres schema to put first on the search_path, created if missing. Used by tests. */
  schema?: string;
}

/** Lower-case identifiers only: the name is interpolated into DDL and connection options. */
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** How long to wait for a Postgres connection before calling it unavailable. */
const connectTimeoutMs = 10_000;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { config, logger, schema } = options;
  if (schema !== undefined && !schemaNamePattern.test(schema)) {
    throw new AppError('INTERNAL', `Invalid database schema name "${schema}"`);
  }
  return config.database.url === undefined
    ? openPGlite(resolve(config.dataDir, 'pglite'), logger, schema)
    : openPostgres(config.database.url, config.database.poolSize, logger, schema);
}

async function openPostgres(
  url: string,
  poolSize: number,
  logger: Logger,
  schema: string | undefined,
): Promise<Database> {
  const target = describePostgresTarget(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    // Every pooled connection gets the schema, not just the first one.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client can lose its server (restart, network); without a listener the pool's
  // 'error' event would crash the process. The next checkout reconnects.
  pool.on('error', (error) => {
    logger.error({ err: error, target }, 'Postgres connection lost');
  });

  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const message = withoutPassword(reason(error), url);
    throw new AppError('DB_UNAVAILABLE', `Cannot connect to Postgres at ${target}: ${message}`, {
      // The cause stays attached for debugging; pg's connection errors carry no credentials.
      cause: error,
      details: { target },
    });
  }
  try {
    if (schema !== undefined) await client.query(`create schema if not exists ${schema}`);
    client.release();
  } catch (error) {
    client.release();
    await pool.end().catch(() => undefined);
    throw error;
  }

  logger.info({ target, schema, poolSize }, 'Connected to Postgres');
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return { kind: 'postgres', db, close: () => db.destroy() };
}

async function openPGlite(
  directory: string,
  logger: Logger,
  schema: string | undefined,
): Promise<Database> {
  // PGlite creates its own directory but not the parents.
  await mkdir(join(directory, '..'), { recursive: true });
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(directory, {
      // Only meaningful for browser filesystems; stated so that nobody turns it on for speed.
      relaxedDurability: false,
      // `pg` returns int8 as a string to avoid losing precision; PGlite returns a number.
      // Match `pg`, so that code behaves the same on both engines.
      parsers: { [types.INT8]: (value: string) => value },
    });
  } catch (error) {
    throw new AppError(
      'DB_UNAVAILABLE',
      `Cannot open the embedded database in ${directory}: ${reason(error)}`,
      { cause: error, details: { directory } },
    );
  }
  if (schema !== undefined) {
    // PGlite is one session, so a session-level search_path applies to every later query.
    await pglite.exec(`create schema if not exists ${schema}; set search_path to ${schema}`);
  }

  logger.info({ directory, schema }, 'Opened embedded PGlite database');
  const db = new Kysely<DatabaseSchema>({ dialect: new PGliteDialect(pglite) });
  return { kind: 'pglite', db, close: () => db.destroy() };
}

/** `host:port/database` for messages and logs; the URL's credentials never leave this function. */
export function describePostgresTarget(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unparseable DATABASE_URL)';
  }
  // A Unix socket directory can be given as ?host=/run/postgresql instead of in the authority.
  const host =
    parsed.searchParams.get('host') ?? (decodeURIComponent(parsed.hostname) || 'localhost');
  const port = parsed.searchParams.get('port') ?? (parsed.port || '5432');
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return `${host}:${port}${database ? `/${database}` : ''}`;
}

function withoutPassword(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // An unparseable URL has no password we could find; pg's message will not echo it either.
  }
  return password ? text.replaceAll(password, '[REDACTED]') : text;
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node reports "connect ECONNREFUSED" for every address of a host as one AggregateError.
    return error.errors.map(reason).join('; ');
  }
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (typeof code !== 'string') return error.message || error.name;
    return error.message.includes(code) ? error.message : `${error.message} (${code})`.trim();
  }
  return String(error);
}
