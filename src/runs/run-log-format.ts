import { z } from 'zod';
import { runOutcomes, type LogStream, type RunEnd } from './run-events.ts';

/** The on-disk format of a run's log: one JSON object per line. */

/** One line of a run's log file. The line that ends the log carries `end`. */
export interface LogEntry {
  t: string;
  stream: LogStream;
  text: string;
  end?: RunEnd;
}

/** An entry as read back, with the byte offset just past it: where a reader resumes. */
export interface StoredLogEntry extends LogEntry {
  next: number;
}

export interface LogPage {
  entries: StoredLogEntry[];
  nextOffset: number;
}

const outcomeSchema = z.enum(runOutcomes as [RunEnd['outcome'], ...RunEnd['outcome'][]]);
const endSchema = z.object({
  outcome: outcomeSchema,
  exitCode: z.number().int().optional(),
  summary: z.string().optional(),
  resultUrl: z.string().optional(),
});
const entrySchema = z.object({
  t: z.string(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  text: z.string(),
  end: endSchema.optional(),
});
const progressSchema = z.object({
  id: z.string(),
  title: z.string(),
  state: z.enum(['pending', 'active', 'done', 'failed']),
});
export const snapshotSchema = z.object({
  progress: z.array(progressSchema),
  end: endSchema.optional(),
});

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toEntry(line: Buffer): LogEntry | undefined {
  const parsed = entrySchema.safeParse(safeJson(line.toString('utf8')));
  if (!parsed.success) return undefined;
  const { end, ...rest } = parsed.data;
  return end === undefined ? rest : { ...rest, end: stripUndefined(end) };
}

/** `buffer` starts at file offset `base`; entries start at `start` (base + 1 past a newline). */
export function parseLines(buffer: Buffer, base: number, start: number): LogPage {
  let position = start - base;
  if (position > 0 && buffer[position - 1] !== 0x0a) {
    // Started inside a line (an offset from a client): resume at the next whole line.
    const newline = buffer.indexOf(0x0a, position);
    position = newline === -1 ? position : newline + 1;
  }
  const entries: StoredLogEntry[] = [];
  for (;;) {
    const newline = buffer.indexOf(0x0a, position);
    if (newline === -1) break;
    const entry = toEntry(buffer.subarray(position, newline));
    position = newline + 1;
    if (entry !== undefined) entries.push({ ...entry, next: base + position });
  }
  return { entries, nextOffset: base + position };
}
