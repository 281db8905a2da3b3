import { EventEmitter, once } from 'node:events';
import { isAppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { Delivery, DeliveryStore } from './delivery-store.ts';
import { IdleSlots } from './idle-slots.ts';

export interface DeliveryProcessor {
  /**
   * Returns the outcome in words. Decisions and follow-up jobs go to `delivery.writes`; the
   * worker commits them with the outcome.
   */
  process(delivery: Delivery): Promise<string>;
}

export interface DeliveryWorkerOptions {
  store: DeliveryStore;
  processor: DeliveryProcessor;
  logger: Logger;
  /** Deliveries processed at once by this process; the work is waiting on the forge, not CPU. */
  concurrency?: number;
  /**
   * Slots kept for one kind of delivery: `reserved.concurrency` of the slots take only
   * `reserved.event`, the others everything else, so slow jobs of that kind never hold every
   * slot. Without it every slot takes everything. While deliveries of other kinds are being
   * processed, only `reserved.whileOthersRun` (default 1) of the reserved kind run at once: they
   * yield the one thread to the others (start jobs to acknowledgements) but always progress.
   */
  reserved?: { event: string; concurrency: number; whileOthersRun?: number };
  /** How often to look for work another process stored or a dead worker left. */
  pollMs?: number;
  /** How long a claim lasts before another worker may take the delivery over. */
  leaseMs?: number;
  /** Attempts before a delivery the forge kept refusing is given up. */
  maxAttempts?: number;
}

export interface DeliveryResult {
  id: string;
  status: 'done' | 'failed' | 'retry';
  outcome: string;
}

/**
 * Processes stored deliveries in the background. The intake route wakes it right after a
 * delivery is committed, so the usual path has no polling delay; the poll only picks up what
 * another process stored or what a crashed worker left behind.
 */
export class DeliveryWorker {
  readonly #options: Required<Omit<DeliveryWorkerOptions, 'reserved'>> &
    Pick<DeliveryWorkerOptions, 'reserved'>;
  readonly #events = new EventEmitter();
  readonly #recent = new Map<string, DeliveryResult>();
  /** Idle slots that take everything (or everything but the reserved event)… */
  readonly #general = new IdleSlots<Delivery>();
  /** …and those kept for the reserved event. */
  readonly #reserved = new IdleSlots<Delivery>();
  /** Reserved slots waiting for the other deliveries in progress to be done. */
  readonly #yielding = new IdleSlots<never>();
  /** Deliveries in progress in the general slots, and in the reserved ones. */
  #generalBusy = 0;
  #reservedBusy = 0;
  #running = false;
  #loops: Promise<void>[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DeliveryWorkerOptions) {
    this.#options = { concurrency: 16, pollMs: 1000, leaseMs: 60_000, maxAttempts: 5, ...options };
    this.#events.setMaxListeners(0);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#timer = setInterval(() => {
      this.notify();
    }, this.#options.pollMs);
    this.#timer.unref();
    const reserved = this.#options.reserved;
    this.#loops = Array.from({ length: this.#options.concurrency }, (_, slot) =>
      reserved === undefined
        ? this.#loop({}, false)
        : slot < reserved.concurrency
          ? this.#loop({ only: reserved.event }, true)
          : this.#loop({ except: reserved.event }, false),
    );
    // Deliveries stored by this process go straight to an idle slot (the reserved kind is
    // claimed, so that it yields as it should).
    this.#options.store.handOffTo({
      leaseMs: this.#options.leaseMs,
      reserve: (event) => (reserved?.event === event ? undefined : this.#general.reserve()),
    });
  }

  /**
   * A delivery was stored (or may have been, by another process): one idle slot of each kind
   * looks for it, and wakes the next if it found one.
   */
  notify(): void {
    this.#general.wakeOne();
    if (this.#options.reserved !== undefined) this.#reserved.wakeOne();
  }

  async stop(): Promise<void> {
    this.#options.store.handOffTo(undefined);
    this.#running = false;
    clearInterval(this.#timer);
    this.#general.close();
    this.#reserved.close();
    this.#yielding.close();
    await Promise.all(this.#loops);
  }

  /** Resolves when the delivery has been processed (by this worker). */
  async result(id: string): Promise<DeliveryResult> {
    for (;;) {
      const known = this.#recent.get(id);
      if (known) return known;
      await once(this.#events, 'result');
    }
  }

  async #loop(events: { only?: string; except?: string }, reserved: boolean): Promise<void> {
    const idle = reserved ? this.#reserved : this.#general;
    /** A delivery handed to this slot as it was stored (already claimed). */
    let handed: Delivery | undefined;
    // A delivery handed over while stopping is still processed: it is claimed by this process.
    while (this.#running || handed !== undefined) {
      let delivery = handed;
      handed = undefined;
      if (delivery === undefined && reserved && this.#mustYield()) {
        await this.#yielding.sleep();
        continue;
      }
      if (delivery === undefined) {
        try {
          delivery = await this.#options.store.claim(this.#options.leaseMs, events);
        } catch (error) {
          this.#options.logger.error({ err: error }, 'claiming a webhook delivery failed');
        }
        if (delivery === undefined) {
          handed = await idle.sleep();
          continue;
        }
        // There may be more: pass the wake-up on to the next idle slot of this kind.
        idle.wakeOne();
      }
      if (reserved) this.#reservedBusy += 1;
      else this.#generalBusy += 1;
      try {
        await this.#handle(delivery);
      } catch (error) {
        // The store failed to record the outcome; the lease runs out and the delivery is retried.
        this.#options.logger.error(
          { err: error, deliveryId: delivery.id },
          'recording a delivery outcome failed',
        );
      } finally {
        if (reserved) this.#reservedBusy -= 1;
        else if (--this.#generalBusy === 0) this.#yielding.wakeAll();
      }
    }
  }

  /** A reserved slot waits while others are in progress and enough of its kind already run. */
  #mustYield(): boolean {
    const limit = this.#options.reserved?.whileOthersRun ?? 1;
    return this.#generalBusy > 0 && this.#reservedBusy >= limit;
  }

  async #handle(delivery: Delivery): Promise<void> {
    const { store, processor, logger, maxAttempts } = this.#options;
    let ended: Omit<DeliveryResult, 'id'>;
    try {
      ended = { status: 'done', outcome: await processor.process(delivery) };
    } catch (error) {
      // A redelivery, or a delivery that could not be stored: not this worker's to record.
      if (!(await delivery.stored)) return;
      const message = error instanceof Error ? error.message : String(error);
      const retry = isAppError(error) && error.retryable && delivery.attempts < maxAttempts;
      logger
        .child({ deliveryId: delivery.id, event: delivery.event })
        .warn(
          { err: error, attempts: delivery.attempts, retry },
          'processing a webhook delivery failed',
        );
      ended = { status: retry ? 'retry' : 'failed', outcome: message };
    }
    if (!(await delivery.stored)) return;
    const result: DeliveryResult = { id: delivery.id, ...ended };
    // The outcome, the decisions and any follow-up job (a start job) in one statement.
    const { queued } = await store.settle(
      delivery,
      result.status === 'retry' ? 'pending' : result.status,
      result.outcome,
    );
    // The follow-up is committed: wake a slot that takes it.
    if (queued > 0) {
      for (const event of new Set(delivery.writes.followUps.map((f) => f.event)))
        this.#slotsFor(event).wakeOne();
    }
    delivery.writes.committed();
    this.#remember(result);
  }

  #slotsFor(event: string): IdleSlots<Delivery> {
    return this.#options.reserved?.event === event ? this.#reserved : this.#general;
  }

  #remember(result: DeliveryResult): void {
    this.#recent.set(result.id, result);
    // Only tests and diagnostics read these; keep the newest thousand.
    if (this.#recent.size > 1000) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    this.#events.emit('result', result);
  }
}
