import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, silentLogger } from '../../test/helpers/database.ts';
import { configSchema } from '../config/config-schema.ts';
import { migrateToLatest } from './migrate.ts';
import { openDatabase, type Database } from './open-database.ts';
import { SettingsRepository } from './settings-repository.ts';

describeEachDatabase('transactions', (getDatabase) => {
  it('commits every write of a transaction', async () => {
    const { db } = getDatabase();
    await db.transaction().execute(async (trx) => {
      const settings = new SettingsRepository(trx);
      await settings.set('a', 1);
      await settings.set('b', 2);
    });
    const rows = await db.selectFrom('settings').select('key').orderBy('key').execute();
    expect(rows.map((row) => row.key)).toEqual(['a', 'b']);
  });

  it('rolls back every write of a transaction that throws', async () => {
    const { db } = getDatabase();
    const failure = await db
      .transaction()
      .execute(async (trx) => {
        await new SettingsRepository(trx).set('a', 1);
        throw new Error('abort on purpose');
      })
      .catch((e: unknown) => e);
    expect(failure).toHaveProperty('message', 'abort on purpose');
    expect(await new SettingsRepository(db).get('a')).toBeUndefined();
  });

  it('rolls back to a savepoint and keeps what came before it', async () => {
    const { db } = getDatabase();
    const trx = await db.startTransaction().execute();
    await new SettingsRepository(trx).set('kept', true);
    const inner = await trx.savepoint('before_discard').execute();
    await new SettingsRepository(inner).set('discarded', true);
    const restored = await inner.rollbackToSavepoint('before_discard').execute();
    await restored.commit().execute();

    const settings = new SettingsRepository(db);
    expect(await settings.get('kept')).toBe(true);
    expect(await settings.get('discarded')).toBeUndefined();
  });

  it('returns int8 as a string, as pg does, so code sees the same types on both engines', async () => {
    const { rows } = await sql<{ big: unknown }>`select 9007199254740993::int8 as big`.execute(
      getDatabase().db,
    );
    expect(rows).toEqual([{ big: '9007199254740993' }]);
  });
});

describe('PGlite dialect under concurrent use', () => {
  let dataDir = '';
  let database: Database;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-pglite-'));
    database = await openDatabase({
      config: configSchema.parse({ dataDir }),
      logger: silentLogger(),
    });
    await migrateToLatest(database, silentLogger());
  });

  afterAll(async () => {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs concurrent transactions one after another, so read-modify-write loses nothing', async () => {
    const { db } = database;
    const settings = new SettingsRepository(db);
    await settings.set('counter', 0);
    const transactions = 20;

    // Each transaction reads, yields to the event loop, then writes: interleaved on one
    // connection, most increments would be lost.
    await Promise.all(
      Array.from({ length: transactions }, () =>
        db.transaction().execute(async (trx) => {
          const inTransaction = new SettingsRepository(trx);
          const value = (await inTransaction.get('counter')) as number;
          await new Promise<void>((resolve) => setImmediate(resolve));
          await inTransaction.set('counter', value + 1);
        }),
      ),
    );

    expect(await settings.get('counter')).toBe(transactions);
  });

  it('keeps serving queries after a failed statement releases the connection', async () => {
    const { db } = database;
    await expect(sql`select * from no_such_table`.execute(db)).rejects.toThrow(/no_such_table/);
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows).toEqual([{ one: 1 }]);
  });
});
