import { rm } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Database } from '../../src/db/open-database.ts';

/** Drops a bench's Postgres schema (when it made one), closes the database, removes its data dir. */
export async function dropBenchState(state: {
  database: Database;
  schema: string | undefined;
  dataDir: string;
}): Promise<void> {
  try {
    if (state.schema !== undefined)
      await sql`drop schema ${sql.id(state.schema)} cascade`.execute(state.database.db);
  } finally {
    await state.database.close();
    await rm(state.dataDir, { recursive: true, force: true });
  }
}
