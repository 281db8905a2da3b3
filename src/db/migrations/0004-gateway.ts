import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The model gateway: per-run grants (the token's hash, never the token) and one row per model
 * call (metadata; bodies only when `gateway.recordBodies` is on).
 */
export const gatewayMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const now = sql`now()`;
    await db.schema
      .createTable('gateway_grants')
      .addColumn('run_id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('connection_id', 'text', (c) => c.notNull())
      .addColumn('project_path', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();

    // No foreign key to runs: a call record outlives its run, like an audit entry, and calls
    // with an unknown token have no run at all.
    await db.schema
      .createTable('gateway_calls')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('run_id', 'text')
      .addColumn('connection_id', 'text')
      .addColumn('project_path', 'text')
      .addColumn('provider', 'text', (c) =>
        c.notNull().check(sql`provider in ('anthropic', 'openai', 'google')`),
      )
      .addColumn('model', 'text')
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('streaming', 'boolean', (c) => c.notNull())
      .addColumn('input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('output_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cache_read_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cache_write_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cost_usd', 'double precision')
      .addColumn('duration_ms', 'double precision', (c) => c.notNull())
      .addColumn('ttfb_ms', 'double precision')
      .addColumn('error_code', 'text')
      .addColumn('error', 'text')
      .addColumn('request_body', 'text')
      .addColumn('response_body', 'text')
      .addColumn('started_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('gateway_calls_run')
      .on('gateway_calls')
      .column('run_id')
      .where(sql.ref('run_id'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('gateway_calls_project_day')
      .on('gateway_calls')
      .columns(['connection_id', 'project_path', 'started_at'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('gateway_calls').execute();
    await db.schema.dropTable('gateway_grants').execute();
  },
};
