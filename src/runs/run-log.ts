import { appendFile, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors/app-error.ts';
import {
  parseLines,
  safeJson,
  snapshotSchema,
  stripUndefined,
  type LogEntry,
  type LogPage,
  type StoredLogEntry,
} from './run-log-format.ts';
import {
  type LogStream,
  type ProgressItem,
  type RunEnd,
  type RunEvent,
  type RunEvents,
} from './run-events.ts';

export type { LogEntry, LogPage, StoredLogEntry } from './run-log-format.ts';

/** What a run page needs besides the log: the checklist and how the run ended. */
export interface RunLogSnapshot {
  progress: ProgressItem[];
  end?: RunEnd;
}

export interface RunLogStoreOptions {
  dataDir: string;
  /** Applied to every text before it reaches the disk or the bus. */
  redact: (text: string) => string;
  events: RunEvents;
  /** Default 20 MiB. Past it the log says so once and drops further lines. */
  maxBytes?: number;
  now?: () => Date;
}

export const defaultMaxLogBytes = 20 * 1024 * 1024;
/** One entry's text; bounds a line so that a reader's chunk always holds a whole one. */
const maxTextChars = 64 * 1024;
const maxSummaryChars = 4000;
const maxProgressItems = 50;
const readChunkBytes = 1024 * 1024;
const runIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

interface Writer {
  /** Bytes in the file; unknown until the first write looks. */
  size: number | undefined;
  truncated: boolean;
  /** False once `finish` is called: later lines are dropped, earlier ones still written. */
  accepting: boolean;
  /** The end line is on disk. */
  ended: boolean;
  progress: ProgressItem[];
  batch: LogEntry[];
  flush: Promise<void> | undefined;
  /** Every write of one run goes through this chain, in order. */
  chain: Promise<void>;
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… [cut]`;
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/** A promise that the next notify() resolves; armed before looking, so no change is missed. */
class Wakeup {
  #promise: Promise<void> | undefined;
  #resolve: (() => void) | undefined;

  next(): Promise<void> {
    this.#promise ??= new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    return this.#promise;
  }

  notify(): void {
    const resolve = this.#resolve;
    this.#promise = undefined;
    this.#resolve = undefined;
    resolve?.();
  }
}

/**
 * Each run's log as JSON lines in `<dataDir>/runs/<id>/run.log` (owner-only), redacted before it
 * is written, capped in size, readable from any byte offset and followable live.
 */
export class RunLogStore {
  readonly #root: string;
  readonly #redact: (text: string) => string;
  readonly #events: RunEvents;
  readonly #maxBytes: number;
  readonly #now: () => Date;
  readonly #writers = new Map<string, Writer>();

  constructor(options: RunLogStoreOptions) {
    this.#root = join(options.dataDir, 'runs');
    this.#redact = options.redact;
    this.#events = options.events;
    this.#maxBytes = options.maxBytes ?? defaultMaxLogBytes;
    this.#now = options.now ?? (() => new Date());
  }

  /** Appends one line (redacted), then tells the bus. Lines after `finish` are dropped. */
  append(runId: string, stream: LogStream, text: string): Promise<void> {
    const writer = this.#writer(runId);
    if (!writer.accepting) return Promise.resolve();
    const t = this.#now().toISOString();
    writer.batch.push({ t, stream, text: cut(this.#redact(text), maxTextChars) });
    // Lines that arrive while a write is under way go out together in the next one.
    writer.flush ??= this.#enqueue(writer, async () => {
      const batch = writer.batch;
      writer.batch = [];
      writer.flush = undefined;
      await this.#writeLines(runId, writer, batch);
    });
    return writer.flush;
  }

  /** Records a checklist item (replacing one with the same id) and tells the bus. */
  progress(runId: string, item: ProgressItem): Promise<void> {
    const writer = this.#writer(runId);
    if (!writer.accepting) return Promise.resolve();
    const clean: ProgressItem = {
      id: cut(item.id, 100),
      title: cut(this.#redact(item.title), 200),
      state: item.state,
    };
    return this.#enqueue(writer, async () => {
      await this.#load(runId, writer);
      if (writer.ended) return;
      const index = writer.progress.findIndex((p) => p.id === clean.id);
      if (index >= 0) writer.progress[index] = clean;
      else if (writer.progress.length < maxProgressItems) writer.progress.push(clean);
      else return;
      await this.#writeSnapshot(runId, { progress: writer.progress });
      this.#events.publish(runId, { type: 'progress', item: clean, at: this.#now().toISOString() });
    });
  }

  /**
   * Ends the log: one last line that says how the run ended (written even past the cap, so that
   * followers stop), the snapshot, and then `finished` on the bus.
   */
  finish(runId: string, end: RunEnd): Promise<void> {
    const writer = this.#writer(runId);
    if (!writer.accepting) return Promise.resolve();
    writer.accepting = false;
    const clean: RunEnd = { outcome: end.outcome };
    if (end.exitCode !== undefined) clean.exitCode = end.exitCode;
    if (end.summary !== undefined) clean.summary = cut(this.#redact(end.summary), maxSummaryChars);
    if (end.resultUrl !== undefined) clean.resultUrl = end.resultUrl;
    const done = this.#enqueue(writer, async () => {
      await this.#load(runId, writer);
      if (writer.ended) return;
      const exit = clean.exitCode === undefined ? '' : ` (exit code ${clean.exitCode})`;
      const t = this.#now().toISOString();
      const entry: LogEntry = {
        t,
        stream: 'system',
        text: `Run ${clean.outcome}${exit}`,
        end: clean,
      };
      await appendFile(this.#logPath(runId), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      await this.#writeSnapshot(runId, { progress: writer.progress, end: clean });
      writer.ended = true;
      this.#events.publish(runId, { type: 'finished', at: t, ...clean });
    });
    return done.finally(() => {
      this.#retire(runId, writer);
    });
  }

  /** Whole entries from a byte offset; an offset inside a line skips to the next line. */
  async read(runId: string, options: { fromOffset?: number } = {}): Promise<LogPage> {
    const path = this.#logPath(runId);
    const handle = await open(path, 'r').catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (handle === undefined) return { entries: [], nextOffset: 0 };
    try {
      const { size } = await handle.stat();
      const start = Math.min(Math.max(0, Math.trunc(options.fromOffset ?? 0)), size);
      // One byte before the start says whether the start is a line boundary.
      const base = start === 0 ? 0 : start - 1;
      const length = Math.min(readChunkBytes, size - base);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, base);
      return parseLines(buffer.subarray(0, bytesRead), base, start);
    } finally {
      await handle.close();
    }
  }

  /** The last `maxBytes` of the log, from the first whole line in them. */
  async tail(runId: string, maxBytes: number): Promise<LogPage & { complete: boolean }> {
    const size = await stat(this.#logPath(runId)).then(
      (s) => s.size,
      () => 0,
    );
    const fromOffset = Math.max(0, size - maxBytes);
    return { ...(await this.read(runId, { fromOffset })), complete: fromOffset === 0 };
  }

  async snapshot(runId: string): Promise<RunLogSnapshot> {
    const path = join(this.#dir(runId), 'state.json');
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (text === undefined) return { progress: [] };
    const parsed = snapshotSchema.safeParse(safeJson(text));
    return parsed.success ? stripUndefined(parsed.data) : { progress: [] };
  }

  /**
   * Existing entries from `fromOffset`, then each new one as it is appended, ending after the
   * entry that ends the log, after `finished` on the bus, or when `signal` aborts. It listens
   * from the moment it is called, so nothing published after the call is missed.
   */
  follow(runId: string, fromOffset: number, signal: AbortSignal): AsyncGenerator<StoredLogEntry> {
    this.#check(runId);
    const wakeup = new Wakeup();
    let finished = false;
    const unsubscribe = this.#events.subscribe(runId, (event) => {
      if (event.type === 'finished') finished = true;
      if (event.type === 'log' || event.type === 'finished') wakeup.notify();
    });
    const stop = () => {
      unsubscribe();
      wakeup.notify();
    };
    signal.addEventListener('abort', stop, { once: true });
    const cleanup = () => {
      unsubscribe();
      signal.removeEventListener('abort', stop);
    };
    return this.#follow(runId, fromOffset, signal, wakeup, () => finished, cleanup);
  }

  async *#follow(
    runId: string,
    fromOffset: number,
    signal: AbortSignal,
    wakeup: Wakeup,
    isFinished: () => boolean,
    cleanup: () => void,
  ): AsyncGenerator<StoredLogEntry> {
    let offset = fromOffset;
    try {
      while (!signal.aborted) {
        const woken = wakeup.next();
        const finishedBefore = isFinished();
        const page = await this.read(runId, { fromOffset: offset });
        for (const entry of page.entries) {
          yield entry;
          if (entry.end !== undefined) return;
        }
        if (page.nextOffset !== offset) {
          offset = page.nextOffset;
          continue;
        }
        if (finishedBefore) return;
        await woken;
      }
    } finally {
      cleanup();
    }
  }

  #check(runId: string): void {
    if (!runIdPattern.test(runId)) {
      throw new AppError('BAD_REQUEST', 'Not a run id', { details: { runId: cut(runId, 80) } });
    }
  }

  #dir(runId: string): string {
    this.#check(runId);
    return join(this.#root, runId);
  }

  #logPath(runId: string): string {
    return join(this.#dir(runId), 'run.log');
  }

  #writer(runId: string): Writer {
    this.#check(runId);
    let writer = this.#writers.get(runId);
    if (writer === undefined) {
      writer = {
        size: undefined,
        truncated: false,
        accepting: true,
        ended: false,
        progress: [],
        batch: [],
        flush: undefined,
        chain: Promise.resolve(),
      };
      this.#writers.set(runId, writer);
    }
    return writer;
  }

  #enqueue(writer: Writer, operation: () => Promise<void>): Promise<void> {
    const result = writer.chain.then(operation);
    writer.chain = result.catch(() => undefined);
    return result;
  }

  /** Picks up where an earlier process left the run's files (a restart mid-run). */
  async #load(runId: string, writer: Writer): Promise<void> {
    if (writer.size !== undefined) return;
    await mkdir(this.#dir(runId), { recursive: true, mode: 0o700 });
    const size = await stat(this.#logPath(runId)).then(
      (s) => s.size,
      (error: unknown) => {
        if (isMissing(error)) return 0;
        throw error;
      },
    );
    writer.size = size;
    writer.truncated = size >= this.#maxBytes;
    const snapshot = await this.snapshot(runId);
    writer.progress = snapshot.progress;
    // A log that has ended stays ended, even for a writer created after the end.
    if (snapshot.end !== undefined) {
      writer.ended = true;
      this.#retire(runId, writer);
    }
  }

  #retire(runId: string, writer: Writer): void {
    writer.accepting = false;
    if (this.#writers.get(runId) === writer) this.#writers.delete(runId);
  }

  async #writeLines(runId: string, writer: Writer, batch: LogEntry[]): Promise<void> {
    await this.#load(runId, writer);
    if (writer.ended) return;
    let out = '';
    let bytes = writer.size ?? 0;
    const published: RunEvent[] = [];
    for (const entry of batch) {
      if (writer.truncated) break;
      let line = `${JSON.stringify(entry)}\n`;
      let current = entry;
      if (bytes + Buffer.byteLength(line) > this.#maxBytes) {
        writer.truncated = true;
        const text = `[log truncated at ${this.#maxBytes} bytes]`;
        current = { t: entry.t, stream: 'system', text };
        line = `${JSON.stringify(current)}\n`;
      }
      out += line;
      bytes += Buffer.byteLength(line);
      published.push({ type: 'log', stream: current.stream, text: current.text, at: current.t });
    }
    if (out === '') return;
    await appendFile(this.#logPath(runId), out, { mode: 0o600 });
    writer.size = bytes;
    for (const event of published) this.#events.publish(runId, event);
  }

  async #writeSnapshot(runId: string, snapshot: RunLogSnapshot): Promise<void> {
    const path = join(this.#dir(runId), 'state.json');
    // Through a temporary file, so that a reader never sees half a snapshot.
    await writeFile(`${path}.tmp`, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
}
