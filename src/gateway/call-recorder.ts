import { sql, type Insertable, type Kysely } from 'kysely';
import type { DatabaseSchema, GatewayCallsTable } from '../db/schema.ts';
import type { Logger } from '../logging/logger.ts';

export type CallRecord = Insertable<GatewayCallsTable>;

export interface CallRecorderOptions {
  /** Milliseconds a record may wait before its batch is written. */
  flushDelayMs?: number;
  /** Records that trigger a write at once. */
  batchSize?: number;
  /** Records held while the database is slow or down; older ones are dropped past it. */
  maxPending?: number;
}

/**
 * Writes `gateway_calls` rows in batches, off the hot path: `push` only queues; a timer (or a
 * full batch) writes. A failed write is logged and its records dropped, never retried into a
 * growing queue; a model call is never held back or failed because its record could not be
 * written.
 */
export class CallRecorder {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #logger: Logger;
  readonly #flushDelayMs: number;
  readonly #batchSize: number;
  readonly #maxPending: number;
  #pending: CallRecord[] = [];
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(db: Kysely<DatabaseSchema>, logger: Logger, options: CallRecorderOptions = {}) {
    this.#db = db;
    this.#logger = logger;
    this.#flushDelayMs = options.flushDelayMs ?? 200;
    this.#batchSize = options.batchSize ?? 500;
    this.#maxPending = options.maxPending ?? 50_000;
  }

  push(record: CallRecord): void {
    if (this.#pending.length >= this.#maxPending) {
      this.#pending.shift();
      this.#dropped += 1;
    }
    this.#pending.push(record);
    if (this.#pending.length >= this.#batchSize) {
      void this.flush();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushDelayMs);
      this.#timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it (and every earlier write) is done. */
  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const batch = this.#pending;
    this.#pending = [];
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#writing = this.#writing.then(() => this.#write(batch, dropped));
    return this.#writing;
  }

  async #write(batch: CallRecord[], dropped: number): Promise<void> {
    if (dropped > 0) {
      this.#logger.warn({ dropped }, 'gateway call records dropped: the database fell behind');
    }
    for (let i = 0; i < batch.length; i += this.#batchSize) {
      const rows = batch.slice(i, i + this.#batchSize);
      try {
        await insertCalls(this.#db, rows);
      } catch (error) {
        this.#logger.error(
          { err: error, records: rows.length },
          'could not write gateway call records',
        );
      }
    }
  }
}

/** Columns of `gateway_calls` a record fills, with their Postgres types. */
const columns = [
  ['run_id', 'text'],
  ['connection_id', 'text'],
  ['project_path', 'text'],
  ['provider', 'text'],
  ['model', 'text'],
  ['method', 'text'],
  ['path', 'text'],
  ['status', 'int4'],
  ['streaming', 'bool'],
  ['input_tokens', 'int4'],
  ['output_tokens', 'int4'],
  ['cache_read_tokens', 'int4'],
  ['cache_write_tokens', 'int4'],
  ['cost_usd', 'float8'],
  ['charged_usd', 'float8'],
  ['duration_ms', 'float8'],
  ['ttfb_ms', 'float8'],
  ['error_code', 'text'],
  ['error', 'text'],
  ['request_body', 'text'],
  ['response_body', 'text'],
  ['started_at', 'timestamptz'],
] as const satisfies readonly (readonly [keyof CallRecord, string])[];

/**
 * One statement per batch with one array parameter per column (`unnest`), rather than a
 * multi-row VALUES with a parameter per cell: a fraction of the work to build, send and parse,
 * which matters most with the embedded PGlite, whose database runs on Baton's own thread.
 */
async function insertCalls(db: Kysely<DatabaseSchema>, rows: readonly CallRecord[]): Promise<void> {
  const arrays = columns.map(([name, type]) => {
    const values = rows.map((row) => {
      const value = row[name];
      return value instanceof Date ? value.toISOString() : (value ?? null);
    });
    return sql`${values}::${sql.raw(type)}[]`;
  });
  const names = sql.join(columns.map(([name]) => sql.id(name)));
  await sql`insert into gateway_calls (${names}) select * from unnest(${sql.join(arrays)})`.execute(
    db,
  );
}
