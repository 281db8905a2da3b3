/**
 * Answers from the forge kept for a bounded time, per key. A pending look-up is shared, so a
 * burst of mentions by one person asks once; a failed one is forgotten at once, so an error is
 * never served from memory.
 */
export class ExpiringCache<V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { value: Promise<V>; until: number }>();

  constructor(options: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The value kept for `key` if it is younger than the TTL, else `load()`'s (then kept). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry && entry.until > now) return entry.value;
    const value = load();
    const fresh = { value, until: now + this.#ttlMs };
    // Bounded: past the limit everything is dropped (and asked again), never grown.
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(key, fresh);
    value.catch(() => {
      if (this.#entries.get(key) === fresh) this.#entries.delete(key);
    });
    return value;
  }
}
