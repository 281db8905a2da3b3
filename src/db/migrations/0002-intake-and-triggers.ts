import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Forge connections and their service accounts, trigger rules, feature flags, the flow catalog,
 * webhook deliveries (the intake queue), trigger decisions, and runs.
 */
export const intakeAndTriggersMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const now = sql`now()`;
    await db.schema
      .createTable('forge_connections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('gitlab')`))
      .addColumn('base_url', 'text', (c) => c.notNull())
      .addColumn('webhook_secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();

    await db.schema
      .createTable('service_accounts')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('connection_id', 'text', (c) =>
        c.notNull().references('forge_connections.id').onDelete('cascade'),
      )
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('forge_user_id', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addUniqueConstraint('service_accounts_connection_username', ['connection_id', 'username'])
      .execute();

    await db.schema
      .createTable('catalog_flows')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('visibility', 'text', (c) =>
        c.notNull().check(sql`visibility in ('private', 'public')`),
      )
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();

    await db.schema
      .createTable('catalog_enablements')
      .addColumn('flow_id', 'integer', (c) =>
        c.notNull().references('catalog_flows.id').onDelete('cascade'),
      )
      .addColumn('connection_id', 'text', (c) =>
        c.notNull().references('forge_connections.id').onDelete('cascade'),
      )
      .addColumn('scope_type', 'text', (c) =>
        c.notNull().check(sql`scope_type in ('project', 'group')`),
      )
      .addColumn('scope_path', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addPrimaryKeyConstraint('catalog_enablements_pk', [
        'flow_id',
        'connection_id',
        'scope_type',
        'scope_path',
      ])
      .execute();

    await db.schema
      .createTable('triggers')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('connection_id', 'text', (c) =>
        c.notNull().references('forge_connections.id').onDelete('cascade'),
      )
      .addColumn('scope_type', 'text', (c) =>
        c.notNull().check(sql`scope_type in ('project', 'group')`),
      )
      .addColumn('scope_path', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().check(sql`length(description) <= 255`))
      .addColumn('event_types', 'jsonb', (c) => c.notNull())
      .addColumn('service_account_id', 'integer', (c) =>
        c.notNull().references('service_accounts.id').onDelete('cascade'),
      )
      .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
      // From a merge request: push to its source branch instead of opening another one.
      .addColumn('push_to_source_branch', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('config_path', 'text')
      .addColumn('catalog_flow_id', 'integer', (c) =>
        c.references('catalog_flows.id').onDelete('restrict'),
      )
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addCheckConstraint(
        'triggers_one_flow_source',
        sql`(config_path is null) <> (catalog_flow_id is null)`,
      )
      .execute();
    await db.schema
      .createIndex('triggers_by_account')
      .on('triggers')
      .columns(['connection_id', 'service_account_id'])
      .execute();

    await db.schema
      .createTable('feature_flags')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scope_type', 'text', (c) =>
        c.notNull().check(sql`scope_type in ('instance', 'group', 'project')`),
      )
      // '' for the instance scope, so that the primary key needs no nullable column.
      .addColumn('connection_id', 'text', (c) => c.notNull())
      .addColumn('scope_path', 'text', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addPrimaryKeyConstraint('feature_flags_pk', [
        'name',
        'scope_type',
        'connection_id',
        'scope_path',
      ])
      .execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('connection_id', 'text', (c) =>
        c.notNull().references('forge_connections.id').onDelete('cascade'),
      )
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('status', 'text', (c) =>
        c.notNull().check(sql`status in ('pending', 'processing', 'done', 'failed')`),
      )
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_until', 'timestamptz')
      .addColumn('outcome', 'text')
      .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('processed_at', 'timestamptz')
      .addUniqueConstraint('webhook_deliveries_idempotency', ['connection_id', 'idempotency_key'])
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_open')
      .on('webhook_deliveries')
      .columns(['status', 'id'])
      .where(sql.ref('status'), 'in', sql`('pending', 'processing')`)
      .execute();

    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) =>
        c
          .notNull()
          .check(
            sql`status in ('queued', 'preparing', 'running', 'publishing', 'succeeded', 'failed', 'cancelled', 'timed_out')`,
          ),
      )
      .addColumn('connection_id', 'text', (c) => c.notNull().references('forge_connections.id'))
      .addColumn('trigger_id', 'integer', (c) => c.references('triggers.id').onDelete('set null'))
      .addColumn('delivery_id', 'bigint', (c) =>
        c.references('webhook_deliveries.id').onDelete('set null'),
      )
      .addColumn('service_account_id', 'integer', (c) =>
        c.notNull().references('service_accounts.id'),
      )
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('project_id', 'integer', (c) => c.notNull())
      .addColumn('project_path', 'text', (c) => c.notNull())
      .addColumn('noteable', 'jsonb', (c) => c.notNull())
      .addColumn('discussion_id', 'text')
      .addColumn('ack_note_id', 'integer')
      .addColumn('requested_by', 'jsonb', (c) => c.notNull())
      .addColumn('flow_source', 'text', (c) => c.notNull())
      .addColumn('flow', 'jsonb', (c) => c.notNull())
      .addColumn('environment', 'jsonb', (c) => c.notNull())
      // The whole flow context, uncut (AI_FLOW_CONTEXT is bounded); a file in the sandbox.
      .addColumn('full_context', 'text', (c) => c.notNull().defaultTo(''))
      // From .gitlab/duo/agent-config.yml; null: no outbound network.
      .addColumn('network_policy', 'jsonb')
      .addColumn('push_to_source_branch', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('failure', 'text')
      // The process working on the run, and its last sign of life: a run whose owner went
      // quiet is recovered by another process (or the next start).
      .addColumn('owner', 'text')
      .addColumn('heartbeat_at', 'timestamptz')
      .addColumn('cancel_requested_by', 'text')
      .addColumn('result', 'jsonb')
      .addColumn('started_at', 'timestamptz')
      .addColumn('finished_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createIndex('runs_active_by_noteable')
      .on('runs')
      .columns(['connection_id', 'project_id', 'status'])
      .execute();

    await db.schema
      .createTable('run_transitions')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('from_status', 'text')
      .addColumn('to_status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();

    await db.schema
      .createTable('trigger_decisions')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('delivery_id', 'bigint', (c) =>
        c.notNull().references('webhook_deliveries.id').onDelete('cascade'),
      )
      .addColumn('trigger_id', 'integer', (c) => c.references('triggers.id').onDelete('set null'))
      .addColumn('service_account', 'text')
      .addColumn('event_type', 'text')
      .addColumn('decision', 'text', (c) =>
        c.notNull().check(sql`decision in ('accepted', 'refused', 'ignored')`),
      )
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.references('runs.id').onDelete('set null'))
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createIndex('trigger_decisions_by_delivery')
      .on('trigger_decisions')
      .column('delivery_id')
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      'trigger_decisions',
      'run_transitions',
      'runs',
      'webhook_deliveries',
      'feature_flags',
      'triggers',
      'catalog_enablements',
      'catalog_flows',
      'service_accounts',
      'forge_connections',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
