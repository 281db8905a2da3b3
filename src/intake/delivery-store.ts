import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema, JsonValue } from '../db/schema.ts';

export interface Delivery {
  /** Known once `stored` is true (a delivery is handed over while it is being stored). */
  id: string;
  connectionId: string;
  event: string;
  payload: JsonValue;
  attempts: number;
  /** What processing decided and queued, committed with the delivery's outcome. */
  writes: DeliveryWrites;
  /**
   * True once the delivery is committed and claimed by this process. A delivery this process is
   * storing is handed to an idle slot at once, so that processing can read (the author, roles,
   * rules) while the commit is under way; nothing with an effect (a note, a cancelled run) may
   * happen before this is true. False: it was a redelivery, or could not be stored; then
   * nothing at all may be done for it.
   */
  stored: Promise<boolean>;
}

/** Thrown by processing that needed a stored delivery and found it was not (see `stored`). */
export class DeliveryNotStored extends Error {
  override readonly name = 'DeliveryNotStored';
}

/** A delivery for the worker that another one leads to (a start job), on the same connection. */
export interface FollowUp {
  event: string;
  /** Unique per connection, like a webhook's Idempotency-Key: queued at most once. */
  idempotencyKey: string;
  payload: string;
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

/** A worker in this process that takes a delivery as it is stored, when a slot is idle. */
export interface LocalTaker {
  /** How long a delivery taken this way is leased to this process. */
  leaseMs: number;
  /**
   * An idle slot for a delivery of `event`, or nothing when every slot is busy. The slot waits
   * for the function: given the delivery, it processes it; given nothing, it looks for work.
   */
  reserve(event: string): ((delivery: Delivery | undefined) => void) | undefined;
}

/**
 * The trigger decisions and follow-up jobs of one delivery, written in the same statement that
 * records its outcome: one round trip instead of one per row, and no decision or job without the
 * outcome (or the other way round). Whatever was collected is written whichever way processing
 * ended, as if each had been written when it was made.
 */
export class DeliveryWrites {
  /** Decisions about this delivery, or (a start job's) about the delivery it came from. */
  readonly decisions: (Omit<Decision, 'deliveryId'> & { deliveryId?: string })[] = [];
  readonly followUps: FollowUp[] = [];
  readonly #committed: (() => void)[] = [];

  decide(decision: Omit<Decision, 'deliveryId'> & { deliveryId?: string }): void {
    this.decisions.push(decision);
  }

  enqueue(followUp: FollowUp): void {
    this.followUps.push(followUp);
  }

  /** Runs `effect` once all of this has been committed (e.g. waking the run scheduler). */
  afterCommit(effect: () => void): void {
    this.#committed.push(effect);
  }

  /** Called by the worker once the statement has committed. */
  committed(): void {
    for (const effect of this.#committed.splice(0)) effect();
  }
}

/**
 * Webhook deliveries are the intake queue: a row is stored once per (connection,
 * Idempotency-Key) and claimed by one worker at a time with `FOR UPDATE SKIP LOCKED`, so several
 * Baton processes can share one database. A claim is a lease: a worker that dies leaves the row
 * to be claimed again when the lease runs out.
 */
export class DeliveryStore {
  readonly #db: Kysely<DatabaseSchema>;
  #taker: LocalTaker | undefined;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  /**
   * While set, a delivery stored when one of the taker's slots is idle is handed to that slot as
   * the insert starts (see `Delivery.stored`) and stored already claimed (leased to this
   * process, as `claim` would): no wake-up, no claim statement, and the reads overlap the
   * commit. Another process sees it as claimed; if this one dies, the lease runs out and the
   * delivery is claimed again, as after any crash mid-processing.
   */
  handOffTo(taker: LocalTaker | undefined): void {
    this.#taker = taker;
  }

  /**
   * Stores a delivery unless one with the same key exists; one statement, so one transaction.
   * `taken`: it went straight to an idle slot of this process (see `handOffTo`).
   */
  async insert(input: {
    connectionId: string;
    idempotencyKey: string;
    event: string;
    payload: string;
  }): Promise<{ id: string; duplicate: boolean; taken: boolean }> {
    const taker = this.#taker;
    const payload = taker === undefined ? undefined : (JSON.parse(input.payload) as JsonValue);
    const slot = payload === undefined ? undefined : taker?.reserve(input.event);
    if (taker === undefined || slot === undefined || payload === undefined) {
      const row = await this.#insertRow(input, null);
      if (row) return { id: row.id, duplicate: false, taken: false };
      return { id: await this.#existing(input), duplicate: true, taken: false };
    }
    // Handed over before the row is committed: the slot reads while the commit is under way, and
    // waits for `stored` before any effect.
    let settle: (stored: boolean) => void = () => undefined;
    const delivery: Delivery = {
      id: '',
      connectionId: input.connectionId,
      event: input.event,
      payload,
      attempts: 1,
      writes: new DeliveryWrites(),
      stored: new Promise((resolve) => (settle = resolve)),
    };
    slot(delivery);
    let row: { id: string } | undefined;
    try {
      // Stored already claimed: leased to this process, as `claim` would.
      row = await this.#insertRow(input, taker.leaseMs);
    } catch (error) {
      settle(false);
      throw error;
    }
    if (row) {
      delivery.id = row.id;
      settle(true);
      return { id: row.id, duplicate: false, taken: true };
    }
    settle(false);
    return { id: await this.#existing(input), duplicate: true, taken: false };
  }

  /** The delivery's row, pending or (with a lease) claimed by this process; none if a duplicate. */
  #insertRow(
    input: { connectionId: string; idempotencyKey: string; event: string; payload: string },
    leaseMs: number | null,
  ): Promise<{ id: string } | undefined> {
    return this.#db
      .insertInto('webhook_deliveries')
      .values({
        connection_id: input.connectionId,
        idempotency_key: input.idempotencyKey,
        event: input.event,
        payload: input.payload,
        ...(leaseMs === null
          ? { status: 'pending' as const }
          : {
              status: 'processing' as const,
              attempts: 1,
              locked_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
            }),
      })
      .onConflict((oc) => oc.columns(['connection_id', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
  }

  async #existing(input: { connectionId: string; idempotencyKey: string }): Promise<string> {
    const existing = await this.#db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('connection_id', '=', input.connectionId)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirstOrThrow();
    return existing.id;
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
          writes: new DeliveryWrites(),
          stored: Promise.resolve(true),
        }
      : undefined;
  }

  /**
   * Records how processing ended, with the delivery's decisions and follow-up jobs, in one
   * statement: `done` or `failed` for good, or `pending` to put it back for another attempt (a
   * forge that was briefly unavailable). Returns how many follow-up jobs were queued (a job
   * already queued by an earlier attempt is not queued again).
   */
  async settle(
    delivery: Pick<Delivery, 'id' | 'connectionId' | 'writes'>,
    status: 'done' | 'failed' | 'pending',
    outcome: string,
  ): Promise<{ queued: number }> {
    const { decisions, followUps } = delivery.writes;
    const parts = [];
    if (decisions.length > 0) {
      const rows = decisions.map(
        (d) =>
          sql`(${d.deliveryId ?? delivery.id}::bigint, ${d.triggerId}::integer, ${d.serviceAccount}::text, ${d.eventType}::text, ${d.decision}::text, ${d.reason}::text, ${d.runId ?? null}::text)`,
      );
      parts.push(sql`decided as (
        insert into trigger_decisions
               (delivery_id, trigger_id, service_account, event_type, decision, reason, run_id)
        values ${sql.join(rows)})`);
    }
    if (followUps.length > 0) {
      const rows = followUps.map(
        (f) =>
          sql`(${delivery.connectionId}::text, ${f.idempotencyKey}::text, ${f.event}::text, ${f.payload}::jsonb, 'pending')`,
      );
      parts.push(sql`queued as (
        insert into webhook_deliveries (connection_id, idempotency_key, event, payload, status)
        values ${sql.join(rows)}
        on conflict (connection_id, idempotency_key) do nothing
        returning id)`);
    }
    parts.push(
      status === 'pending'
        ? sql`settled as (
            update webhook_deliveries
               set status = 'pending', outcome = ${outcome}, locked_until = null
             where id = ${delivery.id})`
        : sql`settled as (
            update webhook_deliveries
               set status = ${status}, outcome = ${outcome}, locked_until = null,
                   processed_at = now()
             where id = ${delivery.id})`,
    );
    // Every data-modifying part runs to completion whether or not the select reads it.
    const queued = followUps.length > 0 ? sql`(select count(*) from queued)` : sql`0`;
    const result = await sql<{ queued: number }>`
      with ${sql.join(parts)}
      select ${queued}::integer as queued`.execute(this.#db);
    return { queued: result.rows[0]?.queued ?? 0 };
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
