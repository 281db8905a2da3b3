import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The request failed without an answer; `sent` is false when it certainly never left. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly sent: boolean;

  constructor(message: string, options: { sent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.sent = options.sent;
  }
}

/** Refused or unresolvable: the request never reached the server. */
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** How long an idle connection is kept for the next call (undici's default as well). */
const idleSocketMs = 4000;

/**
 * One instance's HTTP(S) client: `node:http` with kept-alive connections. It replaced `fetch`,
 * whose WHATWG streams and per-call abort signals cost about twice the CPU per call; every
 * mention makes several calls, and Baton's one thread is what bounds its rate. Redirects are
 * never followed (a token must not travel to another URL); gzip, deflate and br answers are
 * decoded, as `fetch` did.
 */
export class HttpTransport {
  readonly #timeoutMs: number;
  readonly #http = new HttpAgent({ keepAlive: true, timeout: idleSocketMs, scheduling: 'lifo' });
  readonly #https = new HttpsAgent({ keepAlive: true, timeout: idleSocketMs, scheduling: 'lifo' });

  constructor(options: { timeoutMs: number }) {
    this.#timeoutMs = options.timeoutMs;
  }

  /** Resolves with any HTTP answer (errors included); rejects only with a `TransportError`. */
  send(
    method: Method,
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<TransportResponse> {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<TransportResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: TransportError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      const request = send(
        url,
        {
          method,
          agent: secure ? this.#https : this.#http,
          headers: {
            ...headers,
            'accept-encoding': 'gzip, deflate, br',
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            response.resume();
            fail(
              new TransportError(`unexpected redirect (${status}) from ${method} ${url.pathname}`, {
                sent: true,
              }),
            );
            return;
          }
          const cut = (error?: Error) => {
            fail(new TransportError('the answer was cut short', { sent: true, cause: error }));
          };
          response.on('error', cut);
          response.on('close', () => {
            if (!response.complete) cut();
          });
          const decoded = decode(response, response.headers['content-encoding']);
          const chunks: Buffer[] = [];
          decoded.on('data', (chunk: Buffer) => chunks.push(chunk));
          decoded.on('error', cut);
          decoded.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
              status,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        fail(
          new TransportError(`no answer within ${this.#timeoutMs} ms`, {
            sent: true,
            cause: Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }),
          }),
        );
      }, this.#timeoutMs);
      request.on('error', (error) => {
        const code = errorCode(error);
        fail(
          new TransportError(error.message, {
            sent: code === undefined || !notSentCodes.has(code),
            cause: error,
          }),
        );
      });
      request.end(body);
    });
  }
}

function decode(stream: Readable, encoding: string | undefined): Readable {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return stream.pipe(createGunzip());
    case 'deflate':
      return stream.pipe(createInflate());
    case 'br':
      return stream.pipe(createBrotliDecompress());
    default:
      return stream;
  }
}
