import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Migrations receive `Kysely<unknown>`, not the current `DatabaseSchema`: a migration describes
 * the schema as it was when it was written and must keep compiling as the schema moves on.
 */
export const initialMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (column) => column.primaryKey())
      .addColumn('value', 'jsonb', (column) => column.notNull())
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('settings').execute();
  },
};
