import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

export interface UpstreamOptions {
  /** The provider's base URL from configuration; its path, if any, prefixes every route. */
  baseUrl: string;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

/**
 * One provider's endpoint with its own keep-alive connection pool. Requests are plain
 * node:http(s) requests with the raw header list the gateway built; `Host` is set here.
 */
export class Upstream {
  readonly #request: typeof http.request;
  readonly #agent: http.Agent;
  readonly #hostname: string;
  readonly #port: number;
  readonly #host: string;
  readonly #basePath: string;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;

  constructor(options: UpstreamOptions) {
    const url = new URL(options.baseUrl);
    const secure = url.protocol === 'https:';
    this.#request = secure ? https.request : http.request;
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      // Reuse the most recently used socket: the one least likely to have been closed idle.
      scheduling: 'lifo',
      maxSockets: 256,
      maxFreeSockets: 64,
      // The socket timeout, in use and pooled: the idle timeout of a call, and how long an unused
      // pooled socket is kept (less when the provider's Keep-Alive hint says so). One value for
      // both, so that no request re-arms the socket's timer; a pooled socket the provider closed
      // meanwhile is retried by the caller.
      timeout: options.idleTimeoutMs,
      noDelay: true,
    };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#boundConnecting(this.#agent, options.connectTimeoutMs);
    this.#hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    this.#host = url.host;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  /**
   * Starts a request; the caller writes the body, listens for `response`, `error` and `timeout`
   * (no header, no chunk for the idle timeout); connecting has its own, shorter bound.
   */
  request(method: string, pathAndQuery: string, headers: string[]): http.ClientRequest {
    const outgoing = this.#request({
      agent: this.#agent,
      hostname: this.#hostname,
      port: this.#port,
      method,
      path: `${this.#basePath}${pathAndQuery}`,
      headers: ['host', this.#host, ...headers],
    });
    return outgoing;
  }

  /**
   * Bounds the TCP connect of every new pooled socket, once, where the agent creates it: a
   * reused socket costs the request nothing.
   */
  #boundConnecting(agent: http.Agent, ms: number): void {
    type CreateConnection = (options: object, callback: (...args: unknown[]) => void) => Socket;
    const pooled = agent as unknown as { createConnection: CreateConnection };
    const create = pooled.createConnection.bind(agent);
    pooled.createConnection = (options, callback) => {
      const socket = create(options, callback);
      if (!socket.connecting) return socket;
      const timer = setTimeout(() => {
        socket.destroy(new UpstreamConnectTimeout(ms));
      }, ms);
      const clear = () => {
        clearTimeout(timer);
      };
      socket.once('connect', clear);
      socket.once('close', clear);
      return socket;
    };
  }

  /** Closes pooled connections. */
  close(): void {
    this.#agent.destroy();
  }
}

export class UpstreamConnectTimeout extends Error {
  readonly code = 'UPSTREAM_CONNECT_TIMEOUT';
  constructor(ms: number) {
    super(`could not connect within ${ms} ms`);
  }
}
