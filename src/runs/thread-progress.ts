import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ForgeApi, NoteableAddress } from '../forges/forge.ts';
import type { Logger } from '../logging/logger.ts';
import { startedNote } from '../triggers/acknowledgement-notes.ts';
import { inlineCode, neutralizeQuickActions } from './publish/forge-markdown.ts';
import type { ProgressItem, RunEvents } from './run-events.ts';
import type { Run } from './run-store.ts';
import { redactSecrets } from '../secrets/redact.ts';

export interface ThreadProgressOptions {
  api: ForgeApi;
  noteable: NoteableAddress;
  noteId: number;
  runUrl: string;
  /** Least time between two edits of the note; GitLab rate-limits note edits. */
  intervalMs: number;
  /** Values that must never reach the thread. */
  secrets: readonly string[];
  logger: Logger;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => { cancel(): void };
}

/** How many of the agent's latest actions the note lists. */
const recentActions = 5;
const actionLength = 100;

function defaultTimer(callback: () => void, ms: number): { cancel(): void } {
  const handle = setTimeout(callback, ms);
  handle.unref();
  return {
    cancel() {
      clearTimeout(handle);
    },
  };
}

const marks: Record<ProgressItem['state'], string> = {
  pending: '- [ ]',
  active: '- [ ] ⏳',
  done: '- [x]',
  failed: '- [ ] ❌',
};

/**
 * The run's note in its thread as a short live checklist: the run's steps and the agent's
 * latest actions, under GitLab's own "Agent has started" line. Edits are throttled to one per
 * interval; the last state is written by `flush`, before the final answer.
 */
export class ThreadProgress {
  readonly #options: ThreadProgressOptions;
  readonly #now: () => number;
  readonly #setTimer: NonNullable<ThreadProgressOptions['setTimer']>;
  readonly #steps = new Map<string, ProgressItem>();
  readonly #actions: string[] = [];
  #written = '';
  #lastEdit = Number.NEGATIVE_INFINITY;
  #timer: { cancel(): void } | null = null;
  #editing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: ThreadProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? defaultTimer;
    // The note already says this; an edit is due only when something is added.
    this.#written = startedNote(options.runUrl);
    this.#lastEdit = this.#now();
  }

  step(item: ProgressItem): void {
    this.#steps.set(item.id, item);
    this.#changed();
  }

  /** One thing the agent did, in a few words (`Ran \`npm test\``). */
  action(text: string): void {
    const line = text.replace(/\s+/g, ' ').trim();
    if (line === '') return;
    this.#actions.push(line.length > actionLength ? `${line.slice(0, actionLength - 1)}…` : line);
    if (this.#actions.length > recentActions) this.#actions.shift();
    this.#changed();
  }

  /** The note as it should read now. */
  body(): string {
    const steps = [...this.#steps.values()].map((item) => `${marks[item.state]} ${item.title}`);
    const actions = this.#actions.map((line) => `  - ${line}`);
    const running = [...this.#steps.values()].some((item) => item.state === 'active');
    const lines = [...steps, ...(running && actions.length > 0 ? actions : [])];
    const text = `${startedNote(this.#options.runUrl)}\n\n${lines.join('\n')}`;
    return neutralizeQuickActions(redactSecrets(text, this.#options.secrets));
  }

  /** Settles once no edit is in flight. */
  idle(): Promise<void> {
    return this.#editing;
  }

  /**
   * Stops timed edits and waits for one in flight, so that nothing overwrites the final note.
   * With `write`, the current state is written first (when the note stays beside a reply).
   */
  async close(write: boolean): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    if (write) await this.#edit();
    else await this.#editing;
  }

  #changed(): void {
    if (this.#closed || this.#timer !== null) return;
    const wait = Math.max(0, this.#lastEdit + this.#options.intervalMs - this.#now());
    this.#timer = this.#setTimer(() => {
      this.#timer = null;
      void this.#edit();
    }, wait);
  }

  #edit(): Promise<void> {
    this.#editing = this.#editing.then(async () => {
      const body = this.body();
      if (body === this.#written) return;
      this.#lastEdit = this.#now();
      try {
        await this.#options.api.updateNote(this.#options.noteable, this.#options.noteId, body);
        this.#written = body;
      } catch (error) {
        this.#options.logger.warn({ err: error }, 'could not update the progress note');
      }
    });
    return this.#editing;
  }
}

/** A short line for the thread about one agent action. */
export function describeAction(
  event:
    | { type: 'tool_call'; tool: string; summary: string }
    | { type: 'file_change'; path: string; kind: 'add' | 'update' | 'delete' }
    | { type: 'command'; command: string; exitCode: number | null },
): string {
  switch (event.type) {
    case 'file_change': {
      const verb = { add: 'Created', update: 'Edited', delete: 'Deleted' }[event.kind];
      return `${verb} ${inlineCode(event.path)}`;
    }
    case 'command':
      return `Ran ${inlineCode(event.command.split('\n')[0] ?? '')}`;
    case 'tool_call':
      return event.summary === ''
        ? `Used ${event.tool}`
        : `${event.tool}: ${inlineCode(event.summary)}`;
  }
}

/**
 * Keeps a run's note in its thread up to date with the run's checklist (its `progress` events)
 * while it runs. Null when the run has no note to edit.
 */
export function followRunInThread(
  deps: {
    registry: ConnectionRegistry;
    events: RunEvents;
    runLink: (runId: string) => string;
  },
  run: Run,
  options: { secrets: readonly string[]; logger: Logger; intervalMs: number },
): { progress: ThreadProgress; close: (write: boolean) => Promise<void> } | null {
  const account = deps.registry.serviceAccountById(run.serviceAccountId);
  if (run.ackNoteId === null || !account) return null;
  const progress = new ThreadProgress({
    api: deps.registry.api(account),
    noteable: { type: run.noteable.type, projectId: run.projectId, iid: run.noteable.iid },
    noteId: run.ackNoteId,
    runUrl: deps.runLink(run.id),
    ...options,
  });
  const unsubscribe = deps.events.subscribe(run.id, (event) => {
    if (event.type === 'progress') progress.step(event.item);
  });
  return {
    progress,
    close: async (write) => {
      unsubscribe();
      await progress.close(write);
    },
  };
}
