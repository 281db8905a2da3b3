import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import {
  parseJson,
  usageObjectPattern,
  type GatewayProvider,
  type MeteredUsage,
} from './gateway-provider.ts';

/** Replies (or single stream lines) longer than this are not metered, to bound memory. */
export const maxTappedBytes = 32 * 1024 * 1024;

const newline = 0x0a;
const marker = Buffer.from('"usage');

/**
 * Reads a provider's reply on the side as it streams through, without holding the stream back:
 * the caller writes each chunk to the client and to the tap. A JSON reply is kept (bounded) and
 * parsed once at the end; an event stream is scanned for the byte sequence `"usage` and only
 * the lines holding it are decoded, keeping the first and last `data:` payloads that carry a
 * usage object. Nothing is parsed until `result()`.
 */
export class UsageTap {
  readonly #provider: GatewayProvider;
  readonly #events: boolean;
  readonly #encoding: string | null;
  /** Whole reply (JSON, or anything compressed); null once over the bound. */
  #kept: Buffer[] | null = [];
  #keptBytes = 0;
  /** Event streams: the unfinished last line. */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #skipLine = false;
  #first: string | null = null;
  #last: string | null = null;

  constructor(
    provider: GatewayProvider,
    options: { events: boolean; contentEncoding: string | undefined },
  ) {
    this.#provider = provider;
    this.#events = options.events;
    const encoding = options.contentEncoding?.trim().toLowerCase();
    this.#encoding =
      encoding === undefined || encoding === '' || encoding === 'identity' ? null : encoding;
  }

  write(chunk: Buffer): void {
    if (this.#events && this.#encoding === null) {
      this.#scan(chunk);
      return;
    }
    if (this.#kept === null) return;
    this.#keptBytes += chunk.length;
    if (this.#keptBytes > maxTappedBytes) this.#kept = null;
    else this.#kept.push(chunk);
  }

  /** The call's usage, or null when the reply carried none (or could not be read). */
  result(): MeteredUsage | null {
    if (this.#events && this.#encoding === null) return this.#eventsResult();
    if (this.#kept === null) return null;
    const body = decodeBody(Buffer.concat(this.#kept, this.#keptBytes), this.#encoding);
    this.#kept = null;
    if (body === null) return null;
    if (!this.#events) return this.#provider.usageFromJson(parseJson(body.toString('utf8')));
    // A compressed event stream (the gateway asks for none): scanned whole at the end.
    this.#scan(body);
    return this.#eventsResult();
  }

  #eventsResult(): MeteredUsage | null {
    this.#flushPartial();
    return this.#first === null || this.#last === null
      ? null
      : this.#provider.usageFromEvents(this.#first, this.#last);
  }

  #scan(chunk: Buffer): void {
    let start = 0;
    if (this.#partialBytes > 0 || this.#skipLine) {
      const end = chunk.indexOf(newline);
      if (end === -1) {
        this.#hold(chunk);
        return;
      }
      this.#hold(chunk.subarray(0, end));
      this.#flushPartial();
      start = end + 1;
    }
    const lastNewline = chunk.lastIndexOf(newline);
    let at = chunk.indexOf(marker, start);
    while (at !== -1 && at < lastNewline) {
      const lineStart = Math.max(start, chunk.lastIndexOf(newline, at) + 1);
      const lineEnd = chunk.indexOf(newline, at);
      this.#consider(chunk.toString('utf8', lineStart, lineEnd));
      at = chunk.indexOf(marker, lineEnd + 1);
    }
    const tail = Math.max(start, lastNewline + 1);
    if (tail < chunk.length) this.#hold(chunk.subarray(tail));
  }

  #hold(piece: Buffer): void {
    if (this.#skipLine) return;
    this.#partialBytes += piece.length;
    if (this.#partialBytes > maxTappedBytes) {
      this.#partial = [];
      this.#partialBytes = 0;
      this.#skipLine = true;
      return;
    }
    this.#partial.push(piece);
  }

  #flushPartial(): void {
    if (!this.#skipLine && this.#partialBytes > 0) {
      const line = Buffer.concat(this.#partial, this.#partialBytes);
      if (line.includes(marker)) this.#consider(line.toString('utf8'));
    }
    this.#partial = [];
    this.#partialBytes = 0;
    this.#skipLine = false;
  }

  #consider(line: string): void {
    if (!line.startsWith('data:')) return;
    const payload = line.slice(5).trim();
    if (!usageObjectPattern.test(payload)) return;
    this.#first ??= payload;
    this.#last = payload;
  }
}

/**
 * A body in its content encoding (null: none), decoded; null when the encoding is unknown, the
 * body is corrupt or it would decode to more than `maxBytes`.
 */
export function decodeBody(
  body: Buffer,
  encoding: string | null,
  maxBytes: number = maxTappedBytes,
): Buffer | null {
  const options = { maxOutputLength: maxBytes };
  try {
    if (encoding === null) return body;
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(body, options);
    if (encoding === 'deflate') return inflateSync(body, options);
    if (encoding === 'br') return brotliDecompressSync(body, options);
    return null;
  } catch {
    return null;
  }
}
