/** HTTP plumbing shared by the protocol modules: JSON replies and event streams written live. */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** One server-sent event with a name line (Anthropic, OpenAI Responses). */
export function namedEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** One data-only server-sent event (OpenAI chat completions, Gemini). */
export function dataEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/**
 * An open `text/event-stream` response. Every event is its own `res.write`, optionally spaced by
 * a delay, so a proxy in between can be seen streaming rather than buffering.
 */
export class EventStream {
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly chunkDelayMs: number,
    private readonly signal: AbortSignal,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    res.flushHeaders();
  }

  /** Writes one event; rejects when the client went away. */
  async send(event: string): Promise<void> {
    if (this.started && this.chunkDelayMs > 0) {
      await sleep(this.chunkDelayMs, undefined, { signal: this.signal });
    }
    this.started = true;
    this.signal.throwIfAborted();
    if (!this.res.write(event)) await once(this.res, 'drain', { signal: this.signal });
  }

  end(): void {
    this.res.end();
  }
}

/** Splits text at whitespace into a few pieces (at most about eight) that join back exactly. */
export function splitText(text: string): string[] {
  const target = Math.max(12, Math.ceil(text.length / 8));
  const pieces: string[] = [];
  let current = '';
  for (const word of text.match(/\S+\s*|\s+/g) ?? []) {
    current += word;
    if (current.length >= target) {
      pieces.push(current);
      current = '';
    }
  }
  if (current !== '' || pieces.length === 0) pieces.push(current);
  return pieces;
}

/** Splits a JSON text into up to four pieces, never inside a character. */
export function splitJson(text: string): string[] {
  const chars = Array.from(text);
  const size = Math.max(24, Math.ceil(chars.length / 4));
  const pieces: string[] = [];
  for (let start = 0; start < chars.length; start += size) {
    pieces.push(chars.slice(start, start + size).join(''));
  }
  return pieces.length === 0 ? [''] : pieces;
}

/** Ids unique within one server, readable in test output: `toolu_scripted_3`. */
export class IdSource {
  private count = 0;

  next(prefix: string): string {
    this.count += 1;
    return `${prefix}scripted_${this.count}`;
  }
}

/** Unix seconds, as OpenAI's `created` fields carry. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** What a protocol module needs to write one reply. */
export interface ReplyContext {
  res: ServerResponse;
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
  chunkDelayMs: number;
  ids: IdSource;
  /** The model to name in the reply: the one the request asked for. */
  model: string;
}
