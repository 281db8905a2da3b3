/**
 * A whole small table (trigger rules, feature flags) held in memory for the hot path, so that a
 * mention costs no statement to match rules. Two bounds keep it correct:
 *
 * - a write through this process's store calls `invalidate()` once it has committed, so this
 *   process reads its own writes at once;
 * - another Baton process's write on the same database is seen at most `ttlMs` after it
 *   committed: every snapshot is reloaded once it is older than that, counted from the moment its
 *   load began.
 *
 * A load that began before an invalidation is never kept: it may have read the old rows.
 */
export class ConfigSnapshot<T> {
  readonly #load: () => Promise<T>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #current: { value: T; loadedAt: number } | undefined;
  #loading: { promise: Promise<T>; generation: number } | undefined;
  #generation = 0;

  constructor(load: () => Promise<T>, options: { ttlMs: number; now?: () => number }) {
    this.#load = load;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The table as of at most `ttlMs` ago (and after every write this process made). */
  get(): Promise<T> {
    const current = this.#current;
    if (current !== undefined && this.#now() - current.loadedAt < this.#ttlMs) {
      return Promise.resolve(current.value);
    }
    // One load at a time for every caller of this generation: a burst of mentions after the
    // snapshot expires costs one statement, not one each.
    if (this.#loading?.generation === this.#generation) return this.#loading.promise;
    const generation = this.#generation;
    const loadedAt = this.#now();
    const promise = this.#load().then((value) => {
      if (generation === this.#generation) this.#current = { value, loadedAt };
      return value;
    });
    const loading = { promise, generation };
    this.#loading = loading;
    const settle = () => {
      if (this.#loading === loading) this.#loading = undefined;
    };
    promise.then(settle, settle);
    return promise;
  }

  /** Forgets the snapshot; call after a write to the table has committed. */
  invalidate(): void {
    this.#generation += 1;
    this.#current = undefined;
  }
}
