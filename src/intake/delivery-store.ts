import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema, JsonValue } from '../db/schema.ts';

export interface Delivery {
  id: string;
  connectionId: string;
  event: string;
  payload: JsonValue;
  attempts: number;
}

export interface Decision {
  deliveryId: string;
  triggerId: number | null;
  serviceAccount: string | null;
  eventType: string | null;
  decision: 'accepted' | 'refused' | 'ignored';
  reason: string;
  runId?: string | null;
}

/**
 * Webhook deliveries are the intake queue: a row is stored once per (connection,
 * Idempotency-Key) and claimed by one worker at a time with `FOR UPDATE SKIP LOCKED`, so several
 * Baton processes can share one database. A claim is a lease: a worker that dies leaves the row
 * to be claimed again when the lease runs out.
 */
export class DeliveryStore {
  readonly #db: Kysely<DatabaseSchema>;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  /** Stores a delivery unless one with the same key exists; one statement, so one transaction. */
  async insert(input: {
    connectionId: string;
    idempotencyKey: string;
    event: string;
    payload: string;
  }): Promise<{ id: string; duplicate: boolean }> {
    const row = await this.#db
      .insertInto('webhook_deliveries')
      .values({
        connection_id: input.connectionId,
        idempotency_key: input.idempotencyKey,
        event: input.event,
        payload: input.payload,
        status: 'pending',
      })
      .onConflict((oc) => oc.columns(['connection_id', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) return { id: row.id, duplicate: false };
    const existing = await this.#db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('connection_id', '=', input.connectionId)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirstOrThrow();
    return { id: existing.id, duplicate: true };
  }

  /**
   * Takes the oldest claimable delivery for `leaseMs`, or nothing; with `events`, only
   * deliveries of those events (`only`) or of every other event (`except`).
   */
  async claim(
    leaseMs: number,
    events: { only?: string; except?: string } = {},
  ): Promise<Delivery | undefined> {
    const filter =
      events.only !== undefined
        ? sql`and event = ${events.only}`
        : events.except !== undefined
          ? sql`and event <> ${events.except}`
          : sql``;
    const result = await sql<{
      id: string;
      connection_id: string;
      event: string;
      payload: JsonValue;
      attempts: number;
    }>`
      update webhook_deliveries
         set status = 'processing',
             attempts = attempts + 1,
             locked_until = now() + make_interval(secs => ${leaseMs / 1000})
       where id = (
         select id from webhook_deliveries
          where (status = 'pending' or (status = 'processing' and locked_until < now())) ${filter}
          -- Acknowledging people first: start jobs (many forge calls each) wait their turn.
          order by (event = 'Baton Start'), id
          limit 1
          for update skip locked)
      returning id, connection_id, event, payload, attempts`.execute(this.#db);
    const row = result.rows[0];
    return row
      ? {
          id: row.id,
          connectionId: row.connection_id,
          event: row.event,
          payload: row.payload,
          attempts: row.attempts,
        }
      : undefined;
  }

  async finish(id: string, status: 'done' | 'failed', outcome: string): Promise<void> {
    await this.#db
      .updateTable('webhook_deliveries')
      .set({ status, outcome, locked_until: null, processed_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  /** Puts a delivery back for another attempt (a forge that was briefly unavailable). */
  async release(id: string, outcome: string): Promise<void> {
    await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', outcome, locked_until: null })
      .where('id', '=', id)
      .execute();
  }

  async record(decision: Decision): Promise<void> {
    await this.#db
      .insertInto('trigger_decisions')
      .values({
        delivery_id: decision.deliveryId,
        trigger_id: decision.triggerId,
        service_account: decision.serviceAccount,
        event_type: decision.eventType,
        decision: decision.decision,
        reason: decision.reason,
        run_id: decision.runId ?? null,
      })
      .execute();
  }

  async decisions(deliveryId: string): Promise<Omit<Decision, 'deliveryId'>[]> {
    const rows = await this.#db
      .selectFrom('trigger_decisions')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      triggerId: r.trigger_id,
      serviceAccount: r.service_account,
      eventType: r.event_type,
      decision: r.decision,
      reason: r.reason,
      runId: r.run_id,
    }));
  }

  async status(id: string): Promise<{ status: string; outcome: string | null } | undefined> {
    return this.#db
      .selectFrom('webhook_deliveries')
      .select(['status', 'outcome'])
      .where('id', '=', id)
      .executeTakeFirst();
  }
}
