/**
 * The worker's idle slots of one kind, woken one at a time. Waking every idle slot for every
 * stored delivery (there are 16) made 15 of them claim nothing: one wasted statement each, per
 * delivery. Instead one slot is woken, and a slot that claimed something wakes the next, so a
 * burst still spreads over every slot while a lone delivery costs one claim.
 *
 * A slot can also be reserved and then handed its work directly (a delivery stored already
 * claimed by this process), which skips the claim altogether.
 *
 * A wake-up sent while no slot sleeps (each is busy, or claiming) is kept for the next slot that
 * would sleep, so work stored at that moment does not wait for the poll.
 */
export class IdleSlots<T> {
  #sleepers: ((work: T | undefined) => void)[] = [];
  #pending = false;
  #closed = false;

  /**
   * Resolves at the next wake-up meant for this slot: with work handed to it, or with nothing
   * (then it looks for work itself). At once if a wake-up is kept, or once closed.
   */
  sleep(): Promise<T | undefined> {
    if (this.#closed || this.#pending) {
      this.#pending = false;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      this.#sleepers.push(resolve);
    });
  }

  /** There may be work: one slot looks. */
  wakeOne(): void {
    const wake = this.#sleepers.shift();
    if (wake) wake(undefined);
    else this.#pending = true;
  }

  /**
   * Takes one sleeping slot out of the pool, or none if every slot is busy. The slot waits for
   * the function returned: called with work, it does that; with nothing, it looks for work.
   */
  reserve(): ((work: T | undefined) => void) | undefined {
    if (this.#closed) return undefined;
    // The most recently idle slot: the others may sleep on.
    return this.#sleepers.pop();
  }

  /** Every sleeping slot looks for work (it may find none). */
  wakeAll(): void {
    const sleepers = this.#sleepers;
    this.#sleepers = [];
    for (const wake of sleepers) wake(undefined);
  }

  /** Wakes every slot, now and from now on: the worker is stopping. */
  close(): void {
    this.#closed = true;
    const sleepers = this.#sleepers;
    this.#sleepers = [];
    for (const wake of sleepers) wake(undefined);
  }
}
