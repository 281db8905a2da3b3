import { lookup } from 'node:dns/promises';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createConnection, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logging/logger.ts';
import { decideHost, isAddressAllowed, normalizeHost } from './domain-policy.ts';
import type { NetworkPolicy } from './sandbox.ts';

/** Resolves a host name to its addresses; production uses the system resolver (real DNS). */
export type ResolveHost = (host: string) => Promise<string[]>;

export const systemResolver: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export interface NetworkPolicyProxyOptions {
  policy: NetworkPolicy;
  logger: Logger;
  /** Injectable so tests can map fake names to 127.0.0.1 without touching DNS. */
  resolve?: ResolveHost;
}

export interface NetworkPolicyProxy {
  /** Serves one connection accepted on the run's proxy socket. */
  readonly handle: (socket: Socket) => void;
  close(): void;
}

type Verdict = { ok: true; address: string } | { ok: false; status: number; message: string };

/**
 * An HTTP proxy (CONNECT for https, absolute-URI for http) that lets a run reach only the hosts
 * its flow's network_policy allows. It connects to the address it resolved itself, so a name
 * cannot be re-resolved to somewhere else (DNS rebinding) between decision and connection.
 */
export function createNetworkPolicyProxy(options: NetworkPolicyProxyOptions): NetworkPolicyProxy {
  const resolve = options.resolve ?? systemResolver;
  const { policy, logger } = options;

  async function judge(rawHost: string, port: number): Promise<Verdict> {
    const host = normalizeHost(rawHost);
    const byName = decideHost(host, policy);
    if (!byName.allowed) {
      logger.info({ host, port, decision: 'denied', rule: byName.rule }, 'network policy decision');
      return {
        ok: false,
        status: 403,
        message: `Baton network policy: ${host} is blocked (${byName.rule}).`,
      };
    }
    let addresses: string[];
    try {
      addresses = isIP(host) === 0 ? await resolve(host) : [host];
    } catch {
      logger.info(
        { host, port, decision: 'denied', rule: 'unresolvable' },
        'network policy decision',
      );
      return {
        ok: false,
        status: 502,
        message: `Baton network policy: ${host} could not be resolved.`,
      };
    }
    const address = addresses.find((candidate) => isAddressAllowed(candidate, policy));
    if (address === undefined) {
      const rule = 'resolves to an internal address not listed as an IP in allowed_domains';
      logger.info({ host, port, addresses, decision: 'denied', rule }, 'network policy decision');
      return {
        ok: false,
        status: 403,
        message: `Baton network policy: ${host} is blocked (${rule}).`,
      };
    }
    logger.info(
      { host, port, address, decision: 'allowed', rule: byName.rule },
      'network policy decision',
    );
    return { ok: true, address };
  }

  function refuseTunnel(client: Duplex, status: number, message: string): void {
    const reason = status === 403 ? 'Forbidden' : 'Bad Gateway';
    client.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message) + 1}\r\nconnection: close\r\n\r\n${message}\n`,
    );
  }

  async function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const target = parseAuthority(req.url ?? '');
    if (target === undefined) {
      refuseTunnel(client, 400, 'Baton network policy: bad CONNECT target.');
      return;
    }
    const verdict = await judge(target.host, target.port);
    if (!verdict.ok) {
      refuseTunnel(client, verdict.status, verdict.message);
      return;
    }
    const upstream = createConnection(target.port, verdict.address);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => {
      if (!client.destroyed)
        refuseTunnel(client, 502, `Baton network policy: ${target.host} did not answer.`);
    });
    client.on('error', closeBoth);
    client.once('close', closeBoth);
  }

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = safeUrl(req.url ?? '');
    if (url === undefined || url.protocol !== 'http:') {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('Baton network policy: only absolute http:// URLs.\n');
      return;
    }
    const port = url.port === '' ? 80 : Number(url.port);
    const verdict = await judge(url.hostname, port);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(`${verdict.message}\n`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = request(
      {
        host: verdict.address,
        port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        setHost: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`Baton network policy: ${url.hostname} did not answer.\n`);
    });
    req.pipe(upstream);
  }

  const server = createServer((req, res) => void forward(req, res));
  server.on(
    'connect',
    (req: IncomingMessage, client: Duplex, head: Buffer) => void tunnel(req, client, head),
  );
  server.on('clientError', (_error, socket) => socket.destroy());
  return {
    handle: (socket) => {
      server.emit('connection', socket);
    },
    close: () => {
      server.closeAllConnections();
    },
  };
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** `host:port` or `[v6]:port` of a CONNECT request. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? '', port };
}
