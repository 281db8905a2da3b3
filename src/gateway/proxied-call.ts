import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.ts';
import { BoundedText } from './bounded-text.ts';
import type { CallRecord, CallRecorder } from './call-recorder.ts';
import { responseHeaders } from './forward-headers.ts';
import {
  errorStatus,
  type GatewayErrorKind,
  type GatewayProvider,
  type ProviderRoute,
} from './gateway-provider.ts';
import type { ActiveGrant } from './grant-registry.ts';
import { prepareHeldBody } from './held-body.ts';
import type { PriceList } from './price-table.ts';
import type { SpendLedger } from './spend-ledger.ts';
import { UpstreamConnectTimeout, type Upstream } from './upstream.ts';
import { UsageTap } from './usage-tap.ts';

/** What a call needs from the gateway around it. */
export interface CallContext {
  ledger: SpendLedger;
  prices: PriceList;
  recorder: CallRecorder;
  recordBodies: boolean;
  logger: Logger;
}

/** Request bodies up to this size are kept until the reply starts, to resend on a stale socket. */
const maxReplayBytes = 8 * 1024 * 1024;
/** Bodies recorded with `gateway.recordBodies`, each. */
const maxRecordedBodyBytes = 1024 * 1024;
/** Of an error reply from the provider, this much goes into the record. */
const maxErrorBytes = 1000;
/** A stale pooled socket is retried at most this many times, only before any reply. */
const maxAttempts = 3;

const modelInBody = /"model"\s*:\s*"([^"\\]{1,200})"/;

class UpstreamIdleTimeout extends Error {
  constructor(ms: number) {
    super(`no data for ${ms} ms`);
  }
}

/** The time a call started: wall clock for the record, monotonic for durations. */
export interface CallStart {
  wallMs: number;
  monoMs: number;
}

/** Writes a refusal or failure in the provider's own error format. */
export function sendProviderError(
  res: ServerResponse,
  provider: GatewayProvider,
  kind: GatewayErrorKind,
  message: string,
): number {
  const body = provider.errorBody(kind, message);
  const status = errorStatus[kind];
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
  return status;
}

/**
 * One model call forwarded to the provider: the client's body streams up as it arrives, the
 * reply streams down chunk by chunk (never buffered: each chunk is written to the client as it
 * is read, with backpressure both ways), usage is tapped on the side, and one record is queued
 * when the call is over, however it ends.
 */
export class ProxiedCall {
  readonly #ctx: CallContext;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #provider: GatewayProvider;
  readonly #route: ProviderRoute;
  readonly #grant: ActiveGrant;
  readonly #upstream: Upstream;
  readonly #pathAndQuery: string;
  readonly #path: string;
  #headers: string[];
  readonly #start: CallStart;
  #outgoing: ClientRequest | null = null;
  #reply: IncomingMessage | null = null;
  #attempts = 0;
  /** Body chunks kept for a resend; null once the reply started or the body is too big. */
  #replay: Buffer[] | null = [];
  #replayBytes = 0;
  #bodyEnded = false;
  #firstBodyChunk: Buffer | null = null;
  #requestBody: BoundedText | null;
  #responseBody: BoundedText | null = null;
  #errorBody: BoundedText | null = null;
  #tap: UsageTap | null = null;
  /** Body bytes each way, for charging a reply that reported no usage. */
  #requestBytes = 0;
  #replyBytes = 0;
  #streaming = false;
  #ttfbMs: number | null = null;
  #timedOut = false;
  #done = false;

  constructor(
    ctx: CallContext,
    call: {
      req: IncomingMessage;
      res: ServerResponse;
      provider: GatewayProvider;
      route: ProviderRoute;
      grant: ActiveGrant;
      upstream: Upstream;
      path: string;
      search: string;
      headers: string[];
      start: CallStart;
    },
  ) {
    this.#ctx = ctx;
    this.#req = call.req;
    this.#res = call.res;
    this.#provider = call.provider;
    this.#route = call.route;
    this.#grant = call.grant;
    this.#upstream = call.upstream;
    this.#path = call.path;
    this.#pathAndQuery = `${call.path}${call.search}`;
    this.#headers = call.headers;
    this.#start = call.start;
    this.#requestBody = ctx.recordBodies ? new BoundedText(maxRecordedBodyBytes) : null;
  }

  run(): void {
    const req = this.#req;
    const holds = this.#route.holdsBody === true;
    if (holds) {
      this.#holdBody();
    } else {
      req.on('data', (chunk: Buffer) => {
        this.#onBodyChunk(chunk);
      });
      req.on('end', () => {
        this.#bodyEnded = true;
        this.#outgoing?.end();
      });
    }
    this.#res.on('close', () => {
      if (this.#res.writableFinished) return;
      // The client went away: stop the provider's work (and its billing) at once.
      this.#outgoing?.destroy();
      this.#reply?.destroy();
      this.#finish('client_closed', 'the client closed the connection before the reply ended');
    });
    this.#res.on('drain', () => {
      this.#reply?.resume();
    });
    if (!holds) this.#send();
  }

  /**
   * Reads the whole body (bounded) and sends it once it has ended, as the provider prepares it:
   * for routes whose replies would otherwise carry no usage.
   */
  #holdBody(): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    this.#req.on('data', (chunk: Buffer) => {
      this.#firstBodyChunk ??= chunk;
      this.#requestBody?.add(chunk);
      this.#requestBytes += chunk.length;
      bytes += chunk.length;
      if (bytes <= maxReplayBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    this.#req.on('end', () => {
      if (this.#done) return;
      const prepared =
        bytes > maxReplayBytes
          ? { refusal: `the request body is over ${maxReplayBytes / (1024 * 1024)} MiB` }
          : prepareHeldBody(Buffer.concat(chunks, bytes), {
              headers: this.#headers,
              provider: this.#provider,
              path: this.#path,
              maxBytes: maxReplayBytes,
            });
      if ('refusal' in prepared) {
        const message = `Baton's gateway cannot forward this request: ${prepared.refusal}`;
        sendProviderError(this.#res, this.#provider, 'bad_request', message);
        this.#finish('bad_request', message, errorStatus.bad_request);
        return;
      }
      this.#headers = prepared.headers;
      this.#replay = [prepared.body];
      this.#replayBytes = prepared.body.length;
      this.#bodyEnded = true;
      this.#send();
    });
  }

  #send(): void {
    this.#attempts += 1;
    let outgoing: ClientRequest;
    try {
      outgoing = this.#upstream.request(
        this.#req.method ?? 'POST',
        this.#pathAndQuery,
        this.#headers,
      );
    } catch (error) {
      // node:http refuses to send a header it considers malformed.
      const message = `Baton's gateway cannot forward this request: ${error instanceof Error ? error.message : String(error)}`;
      sendProviderError(this.#res, this.#provider, 'bad_request', message);
      this.#finish('bad_request', message, errorStatus.bad_request);
      return;
    }
    this.#outgoing = outgoing;
    outgoing.on('response', (reply) => {
      this.#onReply(reply);
    });
    outgoing.on('error', (error) => {
      this.#onUpstreamError(outgoing, error);
    });
    outgoing.on('timeout', () => {
      this.#timedOut = true;
      outgoing.destroy(new UpstreamIdleTimeout(this.#upstream.idleTimeoutMs));
    });
    if (this.#replay !== null) for (const chunk of this.#replay) outgoing.write(chunk);
    if (this.#bodyEnded) outgoing.end();
    else this.#req.resume();
  }

  #onBodyChunk(chunk: Buffer): void {
    this.#firstBodyChunk ??= chunk;
    this.#requestBody?.add(chunk);
    this.#requestBytes += chunk.length;
    if (this.#replay !== null) {
      this.#replayBytes += chunk.length;
      if (this.#replayBytes > maxReplayBytes) this.#replay = null;
      else this.#replay.push(chunk);
    }
    const outgoing = this.#outgoing;
    if (outgoing !== null && !outgoing.write(chunk)) {
      this.#req.pause();
      outgoing.once('drain', () => this.#req.resume());
    }
  }

  #onReply(reply: IncomingMessage): void {
    if (this.#done) {
      reply.destroy();
      return;
    }
    this.#reply = reply;
    this.#replay = null;
    this.#ttfbMs = performance.now() - this.#start.monoMs;
    const status = reply.statusCode ?? 502;
    const { headers, contentType, contentEncoding } = responseHeaders(reply.rawHeaders);
    const events = contentType !== null && contentType.includes('text/event-stream');
    this.#streaming = events || this.#path.endsWith(':streamGenerateContent');
    if (status >= 200 && status < 300 && this.#route.kind === 'generate') {
      this.#tap = new UsageTap(this.#provider, { events, contentEncoding });
    }
    if (status >= 400) this.#errorBody = new BoundedText(maxErrorBytes);
    if (this.#ctx.recordBodies) this.#responseBody = new BoundedText(maxRecordedBodyBytes);
    const res = this.#res;
    try {
      res.writeHead(status, headers);
    } catch (error) {
      // A header node:http will not write back; the reply cannot be passed on as it is.
      reply.destroy();
      const message = `${this.#provider.name} sent a reply Baton's gateway cannot pass on: ${error instanceof Error ? error.message : String(error)}`;
      sendProviderError(res, this.#provider, 'upstream_unreachable', message);
      this.#finish('upstream_broken', message, errorStatus.upstream_unreachable);
      return;
    }
    reply.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) reply.pause();
      this.#tap?.write(chunk);
      this.#replyBytes += chunk.length;
      this.#errorBody?.add(chunk);
      this.#responseBody?.add(chunk);
    });
    reply.on('end', () => {
      res.end();
      if (this.#errorBody === null) this.#finish(null, null);
      else this.#finish('upstream_error', this.#errorBody.text());
    });
    reply.on('error', () => {
      // Timed out or cut off mid-reply: the status is sent, so the client sees a cut stream.
      res.destroy();
    });
    reply.on('close', () => {
      if (reply.complete || this.#done) return;
      res.destroy();
      if (this.#timedOut) {
        this.#finish(
          'upstream_timeout',
          `no data from the provider for ${this.#upstream.idleTimeoutMs} ms`,
        );
      } else {
        this.#finish(
          'upstream_broken',
          'the provider closed the connection before the reply ended',
        );
      }
    });
  }

  #onUpstreamError(outgoing: ClientRequest, error: Error): void {
    if (this.#done || outgoing !== this.#outgoing) return;
    if (this.#reply !== null) {
      // A failure after the reply started surfaces on the reply; an idle timeout lands here.
      this.#res.destroy();
      this.#finish(this.#timedOut ? 'upstream_timeout' : 'upstream_broken', error.message);
      return;
    }
    if (this.#canResend(outgoing, error)) {
      this.#send();
      return;
    }
    const timeout = error instanceof UpstreamIdleTimeout || error instanceof UpstreamConnectTimeout;
    const kind: GatewayErrorKind = timeout ? 'upstream_timeout' : 'upstream_unreachable';
    const message = timeout
      ? `${this.#provider.name} did not answer in time: ${error.message}`
      : `could not reach ${this.#provider.name}: ${error.message}`;
    this.#ctx.logger.warn(
      { runId: this.#grant.runId, provider: this.#provider.name, reason: error.message },
      timeout ? 'model provider timed out' : 'model provider unreachable',
    );
    if (!this.#res.headersSent) sendProviderError(this.#res, this.#provider, kind, message);
    this.#finish(kind, message, errorStatus[kind]);
  }

  /** A pooled socket the provider had closed: safe to send again before any reply. */
  #canResend(outgoing: ClientRequest, error: Error): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    return (
      outgoing.reusedSocket &&
      (code === 'ECONNRESET' || code === 'EPIPE') &&
      this.#replay !== null &&
      this.#attempts < maxAttempts &&
      !this.#res.destroyed
    );
  }

  #finish(errorCode: string | null, error: string | null, status?: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#replay = null;
    const usage = this.#tap?.result() ?? null;
    const model = usage?.model ?? this.#route.model ?? this.#modelFromRequest();
    const metered = usage === null ? null : { ...usage, model };
    const { cost, charged } = this.#ctx.prices.callCharge(this.#provider.name, {
      metered,
      // A successful generating call, whose reply should have said how many tokens it used.
      expectedUsage: this.#tap !== null,
      model,
      requestBytes: this.#requestBytes,
      replyBytes: this.#replyBytes,
    });
    if (charged > 0) this.#ctx.ledger.add(this.#grant, charged, Date.now());
    const grant = this.#grant;
    const record: CallRecord = {
      run_id: grant.runId,
      connection_id: grant.connectionId,
      project_path: grant.projectPath,
      provider: this.#provider.name,
      model,
      method: this.#req.method ?? 'POST',
      path: this.#path,
      status: status ?? this.#reply?.statusCode ?? 499,
      streaming: this.#streaming,
      input_tokens: metered?.inputTokens ?? 0,
      output_tokens: metered?.outputTokens ?? 0,
      cache_read_tokens: metered?.cacheReadTokens ?? 0,
      cache_write_tokens: metered?.cacheWriteTokens ?? 0,
      cost_usd: cost,
      charged_usd: charged,
      duration_ms: performance.now() - this.#start.monoMs,
      ttfb_ms: this.#ttfbMs,
      error_code: errorCode,
      error,
      request_body: this.#requestBody?.text() ?? null,
      response_body: this.#responseBody?.text() ?? null,
      started_at: new Date(this.#start.wallMs),
    };
    this.#ctx.recorder.push(record);
  }

  #modelFromRequest(): string | null {
    const chunk = this.#firstBodyChunk;
    if (chunk === null) return null;
    return modelInBody.exec(chunk.toString('utf8', 0, Math.min(chunk.length, 8192)))?.[1] ?? null;
  }
}
