/**
 * Wakes loops that sleep until there may be work. A signal sent while no loop sleeps (one is
 * busy claiming) is kept for the next sleep instead of lost, so work stored at that moment does
 * not wait for the next poll.
 */
export class WakeSignal {
  #waiters: (() => void)[] = [];
  #pending = false;
  #closed = false;

  /** Resolves at the next signal (at once if one arrived since the last sleep, or on close). */
  sleep(): Promise<void> {
    if (this.#closed || this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  notify(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) {
      this.#pending = true;
      return;
    }
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Wakes everyone, now and from now on: the loops are stopping. */
  close(): void {
    this.#closed = true;
    this.notify();
  }
}
