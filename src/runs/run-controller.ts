import type { RunStatus } from '../db/schema.ts';
import type { RunExecutor } from './run-executor.ts';
import type { RunQueue } from './run-queue.ts';
import type { RunStore } from './run-store.ts';

/**
 * What can be done to a run from outside its execution: cancel it (from the run page, the API,
 * or `@agent stop` in the thread) and finish it honestly when the process that ran it died.
 */
export class RunController {
  readonly #runs: RunStore;
  readonly #queue: RunQueue;
  readonly #executor: RunExecutor;

  constructor(deps: { runs: RunStore; queue: RunQueue; executor: RunExecutor }) {
    this.#runs = deps.runs;
    this.#queue = deps.queue;
    this.#executor = deps.executor;
  }

  async cancel(runId: string, by: string): Promise<{ cancelled: boolean; status: RunStatus }> {
    const run = await this.#runs.get(runId);
    if (!run) return { cancelled: false, status: 'failed' };
    if (run.status === 'queued') {
      const done = await this.#executor.conclude(runId, ['queued'], { kind: 'cancelled', by });
      if (done) return { cancelled: true, status: 'cancelled' };
    }
    if (await this.#executor.cancelHere(runId, by)) return { cancelled: true, status: 'cancelled' };
    // Another process holds it: it sees the request at its next heartbeat.
    const status = await this.#queue.requestCancel(runId, by);
    const active = status === 'preparing' || status === 'running' || status === 'publishing';
    return { cancelled: active, status: status ?? run.status };
  }

  /**
   * A run left active by a process that died. Before its flow ran nothing happened that could
   * be repeated wrongly, so it is queued again; after, it fails with its one final note.
   */
  async recoverOrphan(runId: string, status: string): Promise<void> {
    if (status === 'preparing') {
      if (
        await this.#queue.transition(
          runId,
          'preparing',
          'queued',
          'Baton stopped before the flow started; queued again',
        )
      ) {
        return;
      }
    }
    await this.#executor.conclude(runId, ['preparing', 'running', 'publishing'], {
      kind: 'failed',
      step: status === 'publishing' ? 'push' : 'agent',
      message:
        status === 'publishing'
          ? 'Baton stopped while publishing this run. The branch may have been pushed; no merge request was confirmed.'
          : 'Baton stopped while the flow was running, so the run could not finish. Nothing was published.',
    });
  }
}
