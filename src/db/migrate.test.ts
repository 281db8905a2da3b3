import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  describeEachDatabase,
  openTestDatabase,
  randomSchemaName,
  silentLogger,
} from '../../test/helpers/database.ts';
import { assertSchemaNotTooNew, migrateToLatest, migrationStatus } from './migrate.ts';
import { migrations } from './migrations/index.ts';

const knownNames = migrations.map(({ name }) => name);

describe('migration list', () => {
  it('is in name order with unique names, so that Kysely applies it as written', () => {
    expect(knownNames.length).toBeGreaterThan(0);
    expect(new Set(knownNames).size).toBe(knownNames.length);
    expect([...knownNames].sort()).toEqual(knownNames);
  });
});

describeEachDatabase(
  'migrations on a fresh database',
  (getDatabase, engine) => {
    // Only Postgres can be shared by several processes; one PGlite directory has one owner.
    if (engine === 'postgres') {
      it('applies each migration once when two processes migrate at the same time', async () => {
        const first = getDatabase();
        const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
          first.db,
        );
        const second = await openTestDatabase('postgres', {
          dataDir: '.',
          schema: rows[0]?.schema ?? '',
        });
        try {
          const results = await Promise.all([
            migrateToLatest(first, silentLogger()),
            migrateToLatest(second, silentLogger()),
          ]);

          expect(results.flatMap((result) => result.applied).sort()).toEqual(knownNames);
          expect((await migrationStatus(first)).every((entry) => entry.appliedAt !== null)).toBe(
            true,
          );
        } finally {
          await second.close();
        }
      });

      it('migrates while other schemas of the same database are being dropped', async () => {
        const database = getDatabase();
        // Another tenant of the database (here: another test run's teardown) creating and
        // dropping schemas as fast as it can while Kysely's migrator lists every schema's tables.
        let churning = true;
        let dropped = 0;
        const churn = (async () => {
          while (churning) {
            const other = sql.id(`${randomSchemaName()}_churn`);
            await sql`create schema ${other}`.execute(database.db);
            await sql`create table ${other}.t (a int)`.execute(database.db);
            await sql`drop schema ${other} cascade`.execute(database.db);
            dropped += 1;
          }
        })();
        try {
          for (let round = 0; round < 5; round += 1) {
            const fresh = await openTestDatabase('postgres', {
              dataDir: '.',
              schema: randomSchemaName(),
            });
            try {
              const { applied } = await migrateToLatest(fresh, silentLogger());
              expect(applied).toEqual(knownNames);
            } finally {
              await fresh.close();
            }
          }
        } finally {
          churning = false;
          await churn;
        }
        expect(dropped).toBeGreaterThan(0);
      });
    }

    it('applies every known migration and creates the settings table', async () => {
      const database = getDatabase();
      expect((await migrationStatus(database)).every((entry) => entry.appliedAt === null)).toBe(
        true,
      );

      const { applied } = await migrateToLatest(database, silentLogger());

      expect(applied).toEqual(knownNames);
      const status = await migrationStatus(database);
      expect(status.map((entry) => entry.name)).toEqual(knownNames);
      expect(status.every((entry) => entry.appliedAt instanceof Date)).toBe(true);
      const { rows } = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns
        where table_schema = current_schema() and table_name = 'settings'
        order by ordinal_position`.execute(database.db);
      expect(rows).toEqual([
        { column_name: 'key', data_type: 'text' },
        { column_name: 'value', data_type: 'jsonb' },
        { column_name: 'updated_at', data_type: 'timestamp with time zone' },
      ]);
    });

    it('is a no-op when run again', async () => {
      const database = getDatabase();
      await migrateToLatest(database, silentLogger());
      const before = await migrationStatus(database);

      const second = await migrateToLatest(database, silentLogger());

      expect(second.applied).toEqual([]);
      expect(await migrationStatus(database)).toEqual(before);
    });

    it('fails with DB_MIGRATION_FAILED naming the migration, and applies nothing', async () => {
      const database = getDatabase();
      // A table in the way makes the initial migration's `create table settings` fail.
      await sql`create table settings (other integer)`.execute(database.db);

      const failure = await migrateToLatest(database, silentLogger()).catch((e: unknown) => e);

      expect(failure).toMatchObject({ code: 'DB_MIGRATION_FAILED' });
      expect((failure as Error).message).toContain('0001-initial');
      expect((await migrationStatus(database)).every((entry) => entry.appliedAt === null)).toBe(
        true,
      );
    });
  },
  { migrate: false },
);

describeEachDatabase('migrations on a database from a newer Baton', (getDatabase) => {
  const future = '9999-from-a-newer-baton';

  async function markFutureMigration(): Promise<void> {
    await sql`insert into baton_migration (name, timestamp) values (${future}, ${new Date().toISOString()})`.execute(
      getDatabase().db,
    );
  }

  it('refuses to migrate with DB_SCHEMA_TOO_NEW naming the unknown migration', async () => {
    await markFutureMigration();

    const failure = await migrateToLatest(getDatabase(), silentLogger()).catch((e: unknown) => e);

    expect(failure).toMatchObject({ code: 'DB_SCHEMA_TOO_NEW' });
    expect((failure as Error).message).toContain(future);
  });

  it('passes the check while every applied migration is known', async () => {
    await expect(assertSchemaNotTooNew(getDatabase())).resolves.toBeUndefined();
    await markFutureMigration();
    await expect(assertSchemaNotTooNew(getDatabase())).rejects.toMatchObject({
      code: 'DB_SCHEMA_TOO_NEW',
    });
  });

  it('still reports status, listing the unknown migration after the known ones', async () => {
    await markFutureMigration();

    const status = await migrationStatus(getDatabase());

    expect(status.map((entry) => entry.name)).toEqual([...knownNames, future]);
    expect(status.at(-1)?.appliedAt).toBeInstanceOf(Date);
  });
});
