import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from './bubblewrap/sandbox-test-kit.ts';
import { createNetworkPolicyProxy } from './network-policy-proxy.ts';
import { listenFor, type ListeningServer } from './socket-forwarder.ts';

/** Every name resolves to the loopback test server; no test ever leaves this machine. */
const fakeDns: Record<string, string[]> = {
  'allowed.test': ['127.0.0.1'],
  'api.allowed.test': ['127.0.0.1'],
  'bad.allowed.test': ['127.0.0.1'],
  'sneaky.test': ['127.0.0.1'],
};

let upstream: Server;
let upstreamPort: number;
let proxy: ListeningServer;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) =>
    res.end(`upstream ${req.headers.host ?? ''} ${req.url ?? ''}`),
  );
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
  const policyProxy = createNetworkPolicyProxy({
    policy: {
      allowedDomains: ['allowed.test', '*.allowed.test', 'sneaky.test', '127.0.0.1'],
      deniedDomains: ['bad.allowed.test'],
    },
    logger: capturingLogger(logLines),
    resolve: (host) => Promise.resolve(fakeDns[host] ?? []),
  });
  proxy = await listenFor({ host: '127.0.0.1', port: 0 }, policyProxy.handle);
});

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => upstream.close(resolve));
});

function viaProxy(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proxy.port, path: url, headers: { host: new URL(url).host } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function connectVia(authority: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
    });
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('network policy proxy', () => {
  it('forwards plain http to an allowed host, with its Host header', async () => {
    const answer = await viaProxy(`http://api.allowed.test:${upstreamPort}/path?q=1`);
    expect(answer).toEqual({
      status: 200,
      body: `upstream api.allowed.test:${upstreamPort} /path?q=1`,
    });
  });

  it('opens a CONNECT tunnel to an allowed host', async () => {
    expect(await connectVia(`allowed.test:${upstreamPort}`)).toBe(200);
  });

  it('refuses a denied subdomain of an allowed wildcard with 403 and a clear body', async () => {
    const answer = await viaProxy(`http://bad.allowed.test:${upstreamPort}/`);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('denied_domains: bad.allowed.test');
    expect(await connectVia('bad.allowed.test:443')).toBe(403);
  });

  it('refuses hosts outside allowed_domains', async () => {
    expect((await viaProxy(`http://elsewhere.test:${upstreamPort}/`)).status).toBe(403);
    expect(await connectVia('elsewhere.test:443')).toBe(403);
  });

  it('logs every decision with host, outcome and rule', () => {
    const decisions = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(decisions).toContainEqual(
      expect.objectContaining({
        host: 'api.allowed.test',
        decision: 'allowed',
        rule: 'allowed_domains: *.allowed.test',
      }),
    );
    expect(decisions).toContainEqual(
      expect.objectContaining({
        host: 'elsewhere.test',
        decision: 'denied',
        rule: 'not in allowed_domains',
      }),
    );
  });
});

describe('network policy proxy without an IP literal for loopback', () => {
  it('refuses an allowed name that resolves to an internal address', async () => {
    const lines: string[] = [];
    const strict = createNetworkPolicyProxy({
      policy: { allowedDomains: ['sneaky.test'], deniedDomains: [] },
      logger: capturingLogger(lines),
      resolve: (host) => Promise.resolve(fakeDns[host] ?? []),
    });
    const server = await listenFor({ host: '127.0.0.1', port: 0 }, strict.handle);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: server.port,
          method: 'CONNECT',
          path: `sneaky.test:${upstreamPort}`,
        });
        req.on('connect', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
      expect(lines.join('')).toContain('internal address');
    } finally {
      await server.close();
    }
  });
});
