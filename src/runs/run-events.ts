import type { RunStatus } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';

export type LogStream = 'stdout' | 'stderr' | 'system';

/** The states a run can end in. */
export type RunOutcome = Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>;

export const runOutcomes: readonly RunOutcome[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export function isRunOutcome(status: RunStatus): status is RunOutcome {
  return (runOutcomes as readonly RunStatus[]).includes(status);
}

/** One line of the short checklist a run page shows ("Clone repository", "Run agent", ...). */
export interface ProgressItem {
  id: string;
  title: string;
  state: 'pending' | 'active' | 'done' | 'failed';
}

/** How a run ended, as its runner (or the executor) reports it. */
export interface RunEnd {
  outcome: RunOutcome;
  exitCode?: number;
  summary?: string;
  /** The merge request or note that holds the result, when there is one. */
  resultUrl?: string;
}

/** Times are ISO 8601 strings so that an event can go onto the wire as it is. */
export type RunEvent =
  | { type: 'status'; from: RunStatus | null; to: RunStatus; reason: string; at: string }
  | { type: 'log'; stream: LogStream; text: string; at: string }
  | { type: 'progress'; item: ProgressItem; at: string }
  | ({ type: 'finished'; at: string } & RunEnd);

export type RunEventListener = (event: RunEvent) => void;

export interface RunEventsOptions {
  /** Listeners on one run: page viewers plus Baton's own followers. */
  maxListenersPerRun?: number;
  /** Listeners on all runs together, so that open pages cannot exhaust memory. */
  maxListeners?: number;
  /** A listener that throws must not stop the others; this hears about it. */
  onListenerError?: (error: unknown, runId: string, event: RunEvent) => void;
}

/**
 * An in-process bus of typed run events, keyed by run id. It keeps no history: late subscribers
 * catch up from the run's log file, which is the record; the bus only says "something changed".
 *
 * Never publish raw runner output as a `log` event: `RunLogStore.append` redacts, writes, and
 * then publishes the redacted text.
 */
export class RunEvents {
  readonly #listeners = new Map<string, Set<RunEventListener>>();
  readonly #maxPerRun: number;
  readonly #max: number;
  readonly #onListenerError: RunEventsOptions['onListenerError'];
  #count = 0;

  constructor(options: RunEventsOptions = {}) {
    this.#maxPerRun = options.maxListenersPerRun ?? 64;
    this.#max = options.maxListeners ?? 2048;
    this.#onListenerError = options.onListenerError;
  }

  publish(runId: string, event: RunEvent): void {
    const listeners = this.#listeners.get(runId);
    if (listeners === undefined) return;
    // A copy: listeners may unsubscribe (or subscribe) while they are being called.
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError?.(error, runId, event);
      }
    }
  }

  /** Returns the function that unsubscribes; calling it twice is harmless. */
  subscribe(runId: string, listener: RunEventListener): () => void {
    const listeners = this.#listeners.get(runId) ?? new Set<RunEventListener>();
    if (listeners.size >= this.#maxPerRun || this.#count >= this.#max) {
      throw new AppError('CONFLICT', 'Too many live viewers; try again later', {
        retryable: true,
        details: { runId },
      });
    }
    // The same function twice would be one Set entry but two counts.
    const entry: RunEventListener = (event) => {
      listener(event);
    };
    listeners.add(entry);
    this.#listeners.set(runId, listeners);
    this.#count += 1;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      listeners.delete(entry);
      this.#count -= 1;
      if (listeners.size === 0 && this.#listeners.get(runId) === listeners) {
        this.#listeners.delete(runId);
      }
    };
  }

  listenerCount(runId?: string): number {
    return runId === undefined ? this.#count : (this.#listeners.get(runId)?.size ?? 0);
  }
}
