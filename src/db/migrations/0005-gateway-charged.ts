import type { Kysely, Migration } from 'kysely';

/**
 * What a model call counted against budgets, beside its cost: a model without a price in the
 * table has an unknown cost (null) but is still charged, at its provider's highest prices.
 * Older rows have null here and count with their `cost_usd`.
 */
export const gatewayChargedMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('gateway_calls')
      .addColumn('charged_usd', 'double precision')
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('gateway_calls').dropColumn('charged_usd').execute();
  },
};
