import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HttpResult {
  status: number;
  body: string;
}

/** A loopback HTTP client on keep-alive sockets; node:http, the least machinery between the
 * benchmark and the server. */
const idleSocketMs = 4000;

export class HttpClient {
  readonly #agent: Agent;

  constructor(maxSockets: number) {
    this.#agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    // An idle socket is closed after 4 s (the agent destroys a free socket that times out),
    // before a server with Node's default keep-alive timeout (5 s; Baton's, now that its server
    // is not Fastify's own) closes it under a request being sent on it: ECONNRESET.
    this.#agent.on('free', (socket: Socket) => {
      socket.setTimeout(idleSocketMs);
    });
  }

  send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: string,
    timeoutMs = 10_000,
  ): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent: this.#agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers:
            body === undefined
              ? headers
              : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          response.on('error', reject);
        },
      );
      // Also on a reused socket, which the agent left with the idle timeout.
      outgoing.setTimeout(timeoutMs, () =>
        outgoing.destroy(new Error(`${method} ${url.pathname} timed out`)),
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export interface OpenLoopReport {
  /** How late the latest request left compared with its schedule, ms. */
  maxLagMs: number;
  elapsedMs: number;
  /** Requests that were never sent because the time bound ran out. */
  unsent: number;
}

/**
 * Starts `send(i)` for i in 0..count-1 at a fixed rate, without waiting for earlier ones (an
 * open loop, like GitLab's webhook workers: a slow server does not slow the arrivals down).
 * Returns once every send has settled or `maxMs` has passed.
 */
export async function openLoop(options: {
  count: number;
  perSecond: number;
  maxMs: number;
  send: (index: number) => Promise<void>;
}): Promise<OpenLoopReport> {
  const { count, perSecond, maxMs, send } = options;
  const interval = 1000 / perSecond;
  const start = performance.now();
  const deadline = start + maxMs;
  const inFlight: Promise<void>[] = [];
  let maxLagMs = 0;
  let index = 0;
  while (index < count && performance.now() < deadline) {
    const due = start + index * interval;
    const wait = due - performance.now();
    if (wait > 1) {
      await sleep(wait);
      continue;
    }
    maxLagMs = Math.max(maxLagMs, -wait);
    inFlight.push(send(index));
    index += 1;
  }
  const unsent = count - index;
  const remaining = Math.max(0, deadline - performance.now());
  const timeout = sleep(remaining, undefined, { ref: false });
  await Promise.race([Promise.allSettled(inFlight), timeout]);
  return { maxLagMs, elapsedMs: performance.now() - start, unsent };
}

export interface ClosedLoopReport {
  started: number;
  elapsedMs: number;
}

/**
 * `concurrency` loops, each sending the next request as soon as its previous one is answered,
 * until `count` have been sent or `maxMs` has passed: the throughput the server can sustain.
 */
export async function closedLoop(options: {
  count: number;
  concurrency: number;
  maxMs: number;
  send: (index: number) => Promise<void>;
}): Promise<ClosedLoopReport> {
  const { count, concurrency, maxMs, send } = options;
  const start = performance.now();
  const deadline = start + maxMs;
  let next = 0;
  const loop = async () => {
    while (next < count && performance.now() < deadline) {
      const index = next;
      next += 1;
      await send(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { started: next, elapsedMs: performance.now() - start };
}
