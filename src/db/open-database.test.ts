import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/config-schema.ts';
import { createLogger } from '../logging/logger.ts';
import { silentLogger, testPostgresUrl } from '../../test/helpers/database.ts';
import { describePostgresTarget, openDatabase } from './open-database.ts';

const password = 'pw-that-must-never-show-4f9c';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; output: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    logger: createLogger({ level: 'trace', destination }),
    output: () => chunks.join(''),
  };
}

async function openFailure(url: string): Promise<{ error: unknown; logs: string }> {
  const { logger, output } = capturingLogger();
  const config = configSchema.parse({ database: { url } });
  const error = await openDatabase({ config, logger }).then(
    async (database) => {
      await database.close();
      return new Error('expected openDatabase to fail');
    },
    (e: unknown) => e,
  );
  return { error, logs: output() };
}

function everythingSaidAbout(error: unknown): string {
  const e = error as Error & { toJSON?: () => unknown };
  return [e.message, e.stack, JSON.stringify(e.toJSON?.()), String(e.cause)].join('\n');
}

describe('openDatabase against an unusable Postgres', () => {
  it('gives DB_UNAVAILABLE naming host:port, and never the password, when nothing listens', async () => {
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    const { error, logs } = await openFailure(`postgres://baton:${password}@127.0.0.1:1/baton_db`);

    expect(error).toMatchObject({ code: 'DB_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain('127.0.0.1:1/baton_db');
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(everythingSaidAbout(error)).not.toContain(password);
    expect(logs).not.toContain(password);
  });

  it('gives DB_UNAVAILABLE when the server is up but the database does not exist', async () => {
    const url = new URL(testPostgresUrl);
    url.password = password;
    url.pathname = '/baton_no_such_database';

    const { error, logs } = await openFailure(url.toString());

    expect(error).toMatchObject({ code: 'DB_UNAVAILABLE' });
    expect((error as Error).message).toContain('baton_no_such_database');
    expect(everythingSaidAbout(error)).not.toContain(password);
    expect(logs).not.toContain(password);
  });

  it('rejects a schema name that is not a plain identifier before touching the server', async () => {
    const config = configSchema.parse({ database: { url: testPostgresUrl } });
    await expect(
      openDatabase({ config, logger: silentLogger(), schema: 'x; drop table settings' }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('describePostgresTarget', () => {
  it.each([
    ['postgres://u:secret@db.example:6543/baton', 'db.example:6543/baton'],
    ['postgresql://u:secret@db.example/baton', 'db.example:5432/baton'],
    ['postgres:///baton?host=/run/postgresql', '/run/postgresql:5432/baton'],
    ['postgres://u:secret@%2Frun%2Fpostgresql/baton', '/run/postgresql:5432/baton'],
  ])('describes %s as %s', (url, expected) => {
    expect(describePostgresTarget(url)).toBe(expected);
  });
});

describe('openDatabase without DATABASE_URL', () => {
  let dataDir = '';

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-open-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('opens an embedded PGlite in <dataDir>/pglite, creating missing parents', async () => {
    const nested = join(dataDir, 'not', 'yet', 'there');
    const config = configSchema.parse({ dataDir: nested });

    const database = await openDatabase({ config, logger: silentLogger() });
    try {
      expect(database.kind).toBe('pglite');
      const { rows } = await sql<{ answer: number }>`select 41 + 1 as answer`.execute(database.db);
      expect(rows).toEqual([{ answer: 42 }]);
      expect(existsSync(join(nested, 'pglite', 'PG_VERSION'))).toBe(true);
    } finally {
      await database.close();
    }
  });
});
