import type { Insertable, Kysely } from 'kysely';
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
        await this.#db.insertInto('gateway_calls').values(rows).execute();
      } catch (error) {
        this.#logger.error(
          { err: error, records: rows.length },
          'could not write gateway call records',
        );
      }
    }
  }
}
