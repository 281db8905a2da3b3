import { sql, type Kysely, type Migration } from 'kysely';

/** Flow variables (the `variables:` a flow lists), sealed at rest, per project or group. */
export const variablesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('variables')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('connection_id', 'text', (c) =>
        c.notNull().references('forge_connections.id').onDelete('cascade'),
      )
      .addColumn('scope_type', 'text', (c) =>
        c.notNull().check(sql`scope_type in ('project', 'group')`),
      )
      .addColumn('scope_path', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('masked', 'boolean', (c) => c.notNull().defaultTo(true))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('variables_scope_key', [
        'connection_id',
        'scope_type',
        'scope_path',
        'key',
      ])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('variables').execute();
  },
};
