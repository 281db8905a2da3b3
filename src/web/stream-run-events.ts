import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import {
  isRunOutcome,
  type RunEvent,
  type RunEvents,
  type RunOutcome,
} from '../runs/run-events.ts';
import type { RunLogStore, StoredLogEntry } from '../runs/run-log.ts';
import type { RunStore } from '../runs/run-store.ts';

export interface RunEventStreamDeps {
  runs: RunStore;
  logs: RunLogStore;
  events: RunEvents;
  heartbeatMs: number;
  /** Aborted when the app closes: every stream ends then. */
  shutdown: AbortSignal;
}

function frame(event: string, data: unknown, id?: number): string {
  // JSON never contains a raw newline, so each event is one `data:` line.
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`;
}

function logFrame(entry: StoredLogEntry): string {
  return frame('log', { t: entry.t, stream: entry.stream, text: entry.text }, entry.next);
}

/** Waits for the socket to drain, so that a slow viewer slows the reader, not Baton's memory. */
async function write(raw: ServerResponse, chunk: string, signal: AbortSignal): Promise<void> {
  if (raw.write(chunk)) return;
  await once(raw, 'drain', { signal }).catch(() => undefined);
}

/**
 * Server-sent events for one run: its log from `fromOffset` (each `log` event's id is the offset
 * to resume from, which EventSource sends back as Last-Event-ID), then status, progress and log
 * events as they happen, and `finished` last, after which the stream closes.
 */
export async function streamRunEvents(
  reply: FastifyReply,
  runId: string,
  fromOffset: number,
  deps: RunEventStreamDeps,
): Promise<void> {
  const controller = new AbortController();
  const { signal } = controller;
  const raw = reply.raw;
  // From the start: a viewer who leaves while the run is looked up must not be followed.
  const leave = () => {
    controller.abort();
  };
  raw.once('close', leave);
  deps.shutdown.addEventListener('abort', leave, { once: true });
  const onEvent = (event: RunEvent): void => {
    if (signal.aborted) return;
    if (event.type === 'status') {
      const { from, to, reason, at } = event;
      raw.write(frame('status', { from, to, reason, at }));
    } else if (event.type === 'progress') {
      raw.write(frame('progress', { ...event.item, at: event.at }));
    }
  };
  // Listening before the status is read: a change in between is heard, not lost.
  const unsubscribe = deps.events.subscribe(runId, onEvent);
  let follow: AsyncGenerator<StoredLogEntry> | undefined;
  try {
    follow = deps.logs.follow(runId, fromOffset, signal);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  const run = await deps.runs.get(runId);
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  raw.write('retry: 3000\n\n');
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), deps.heartbeatMs);
  heartbeat.unref();
  if (raw.destroyed || deps.shutdown.aborted) controller.abort();
  try {
    if (run !== undefined && isRunOutcome(run.status)) {
      await replayEnded(runId, fromOffset, run.status, deps, raw, signal);
    } else {
      await streamLive(follow, deps, runId, raw, signal);
    }
  } finally {
    raw.off('close', leave);
    deps.shutdown.removeEventListener('abort', leave);
    clearInterval(heartbeat);
    unsubscribe();
    controller.abort();
    raw.end();
  }
}

async function streamLive(
  follow: AsyncGenerator<StoredLogEntry>,
  deps: RunEventStreamDeps,
  runId: string,
  raw: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  for await (const entry of follow) {
    await write(raw, logFrame(entry), signal);
    if (entry.end !== undefined) {
      await write(raw, frame('finished', { ...entry.end, at: entry.t }), signal);
      return;
    }
  }
  if (signal.aborted) return;
  // The bus said finished without an end line in the log (an executor that crashed mid-way).
  const run = await deps.runs.get(runId);
  const end = (await deps.logs.snapshot(runId)).end;
  const outcome = run !== undefined && isRunOutcome(run.status) ? run.status : 'failed';
  await write(raw, frame('finished', end ?? { outcome }), signal);
}

/** A run that had already ended: the rest of its log, then how it ended, then close. */
async function replayEnded(
  runId: string,
  fromOffset: number,
  status: RunOutcome,
  deps: RunEventStreamDeps,
  raw: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  let offset = fromOffset;
  let end: StoredLogEntry | undefined;
  for (;;) {
    const page = await deps.logs.read(runId, { fromOffset: offset });
    for (const entry of page.entries) {
      await write(raw, logFrame(entry), signal);
      if (entry.end !== undefined) end = entry;
    }
    if (page.nextOffset === offset || signal.aborted) break;
    offset = page.nextOffset;
  }
  const finished =
    end?.end !== undefined
      ? { ...end.end, at: end.t }
      : ((await deps.logs.snapshot(runId)).end ?? { outcome: status });
  await write(raw, frame('finished', finished), signal);
}
