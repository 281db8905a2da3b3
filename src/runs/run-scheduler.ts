import type { Logger } from '../logging/logger.ts';
import { WakeSignal } from '../support/wake-signal.ts';
import type { RunExecutor } from './run-executor.ts';
import type { RunLimits, RunQueue } from './run-queue.ts';

export interface RunSchedulerOptions {
  queue: RunQueue;
  executor: RunExecutor;
  limits: RunLimits;
  /** Identifies this process in `runs.owner`. */
  owner: string;
  logger: Logger;
  /** Look for queued runs (stored by other processes) this often. */
  pollMs?: number;
  /** Prove this process is alive, and pick up cancellations requested elsewhere, this often. */
  heartbeatMs?: number;
  /** A run whose owner has been silent this long is taken as orphaned. */
  staleMs?: number;
  /** Called for every orphaned run found at start or later, to finish it honestly. */
  recoverOrphan: (runId: string, status: string) => Promise<void>;
  /** Asks the holder of a run to cancel it; used when a cancellation was requested in the DB. */
  cancelRequested: (runId: string) => Promise<string | null>;
}

/**
 * Takes queued runs within the limits and hands them to the executor, keeps this process's
 * heartbeat, and finishes runs left behind by a process that died (`kill -9`).
 */
export class RunScheduler {
  readonly #o: Required<Omit<RunSchedulerOptions, 'recoverOrphan' | 'cancelRequested'>> &
    Pick<RunSchedulerOptions, 'recoverOrphan' | 'cancelRequested'>;
  #running = false;
  readonly #signal = new WakeSignal();
  #loop: Promise<void> | undefined;
  #timers: NodeJS.Timeout[] = [];
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: RunSchedulerOptions) {
    this.#o = { pollMs: 1000, heartbeatMs: 5000, staleMs: 30_000, ...options };
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#recover(true);
    const poll = setInterval(() => {
      this.notify();
    }, this.#o.pollMs);
    const heartbeat = setInterval(() => {
      void this.#heartbeat();
    }, this.#o.heartbeatMs);
    poll.unref();
    heartbeat.unref();
    this.#timers = [poll, heartbeat];
    this.#loop = this.#run();
  }

  notify(): void {
    this.#signal.notify();
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const timer of this.#timers) clearInterval(timer);
    this.#signal.close();
    await this.#loop;
    await Promise.all(this.#inFlight);
  }

  /** Resolves when every run this scheduler started has finished (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let id: string | undefined;
      if (this.#inFlight.size < this.#o.limits.global) {
        try {
          id = await this.#o.queue.claim(this.#o.owner, this.#o.limits);
        } catch (error) {
          this.#o.logger.error({ err: error }, 'claiming a run failed');
        }
      }
      if (id === undefined) {
        await this.#signal.sleep();
        continue;
      }
      const runId = id;
      const work = this.#o.executor
        .execute(runId)
        .catch((error: unknown) => {
          this.#o.logger.error({ err: error, runId }, 'run execution crashed');
        })
        .finally(() => {
          this.#inFlight.delete(work);
          this.notify();
        });
      this.#inFlight.add(work);
    }
  }

  async #heartbeat(): Promise<void> {
    try {
      await this.#o.queue.heartbeat(this.#o.owner);
      for (const runId of this.#o.executor.activeRunIds()) {
        const by = await this.#o.cancelRequested(runId);
        if (by !== null) await this.#o.executor.cancelHere(runId, by);
      }
      await this.#recover(false);
    } catch (error) {
      this.#o.logger.error({ err: error }, 'heartbeat failed');
    }
  }

  /** At start, this process's own leftovers count too: it cannot be running them any more. */
  async #recover(atStart: boolean): Promise<void> {
    const orphans = await this.#o.queue.orphaned({
      staleMs: this.#o.staleMs,
      ...(atStart ? { owner: this.#o.owner } : {}),
    });
    const mine = new Set(this.#o.executor.activeRunIds());
    for (const orphan of orphans) {
      if (mine.has(orphan.id)) continue;
      try {
        await this.#o.recoverOrphan(orphan.id, orphan.status);
      } catch (error) {
        // One run that cannot be recovered must not stop Baton from starting; the next
        // heartbeat tries again.
        this.#o.logger.error({ err: error, runId: orphan.id }, 'recovering an orphaned run failed');
      }
    }
  }
}
