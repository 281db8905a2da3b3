import http from 'node:http';
import https from 'node:https';

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
      // Idle pooled sockets are closed after this (or the provider's Keep-Alive hint, if lower).
      timeout: 30_000,
    };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    this.#host = url.host;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  /**
   * Starts a request; the caller writes the body, listens for `response` and `error`. The
   * socket timeout is the idle timeout (no header, no chunk for that long); connecting has its
   * own, shorter bound.
   */
  request(method: string, pathAndQuery: string, headers: string[]): http.ClientRequest {
    const outgoing = this.#request({
      agent: this.#agent,
      hostname: this.#hostname,
      port: this.#port,
      method,
      path: `${this.#basePath}${pathAndQuery}`,
      headers: ['host', this.#host, ...headers],
      timeout: this.idleTimeoutMs,
    });
    outgoing.setNoDelay(true);
    outgoing.once('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        outgoing.destroy(new UpstreamConnectTimeout(this.connectTimeoutMs));
      }, this.connectTimeoutMs);
      const clear = () => {
        clearTimeout(timer);
      };
      socket.once('connect', clear);
      socket.once('close', clear);
    });
    return outgoing;
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
