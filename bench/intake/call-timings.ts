/** Wall time spent per named call, for the "where the time goes" part of a report. */
export class CallTimings {
  readonly #calls = new Map<string, { count: number; totalMs: number }>();

  add(name: string, ms: number): void {
    const entry = this.#calls.get(name) ?? { count: 0, totalMs: 0 };
    entry.count += 1;
    entry.totalMs += ms;
    this.#calls.set(name, entry);
  }

  clear(): void {
    this.#calls.clear();
  }

  /** `[name, count, total ms]`, the costliest first. */
  entries(): [string, number, number][] {
    return [...this.#calls]
      .map(([name, e]): [string, number, number] => [name, e.count, e.totalMs])
      .sort((a, b) => b[2] - a[2]);
  }

  /** Wraps every method of `target` so that each call's wall time is added under its name. */
  wrap<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]) => {
          const start = performance.now();
          const result: unknown = Reflect.apply(value, object, args);
          if (result instanceof Promise) {
            return result.finally(() => {
              this.add(property, performance.now() - start);
            });
          }
          this.add(property, performance.now() - start);
          return result;
        };
      },
    });
  }
}
