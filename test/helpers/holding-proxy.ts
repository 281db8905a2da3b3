import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of the development forge that can hold matching requests
 * unanswered: a deterministic way to keep Baton inside one step (say, cloning the project) for
 * as long as a test needs. Everything else is forwarded unchanged.
 */
export class HoldingProxy {
  readonly #server: Server;
  readonly url: string;
  #target = '';
  #hold: { matches: (request: IncomingMessage) => boolean; arrived: () => void } | undefined;
  readonly #held = new Set<IncomingMessage>();

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(): Promise<HoldingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new HoldingProxy(server, `http://127.0.0.1:${port}`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      proxy.handle(request, response);
    });
    return proxy;
  }

  /** Where requests go; set once the target listens. */
  set target(url: string) {
    this.#target = url;
  }

  /** Resolves when the first request that `matches` arrives; it and later ones are held. */
  holdRequests(matches: (request: IncomingMessage) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#hold = { matches, arrived: resolve };
    });
  }

  /** Stops holding and cuts the held connections, so that whoever waits on them fails now. */
  dropHeld(): void {
    this.#hold = undefined;
    for (const request of this.#held) request.socket.destroy();
    this.#held.clear();
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const hold = this.#hold;
    if (hold?.matches(request)) {
      this.#held.add(request);
      hold.arrived();
      return;
    }
    const upstream = httpRequest(
      new URL(request.url ?? '/', this.#target),
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      response.destroy();
    });
    request.pipe(upstream);
  }

  async close(): Promise<void> {
    this.dropHeld();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
