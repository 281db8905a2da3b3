import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { buildApp } from '../app/build-app.ts';
import { configSchema } from '../config/config-schema.ts';
import { createLogger } from '../logging/logger.ts';
import type { GatewayRequestHandler } from './gateway-handler.ts';

it('serves /gateway/* from the plain handler in front of Fastify, bodies unread by Fastify', async () => {
  const seen: { url: string; bytes: number }[] = [];
  const gateway: GatewayRequestHandler = (req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', bytes });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('from the gateway');
    });
  };
  const config = configSchema.parse({ server: { bodyLimit: 2048 } });
  const app = await buildApp({ config, logger: createLogger({ level: 'silent' }), gateway });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    // Four times Fastify's body limit, and not JSON: Fastify never sees it.
    const big = await fetch(`${base}/gateway/anthropic/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(8192),
    });
    expect(big.status).toBe(200);
    expect(await big.text()).toBe('from the gateway');
    expect(seen).toEqual([{ url: '/gateway/anthropic/v1/messages?beta=true', bytes: 8192 }]);

    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const lookalike = await fetch(`${base}/gatewayish`);
    expect(lookalike.status).toBe(404);
    expect(await lookalike.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(seen).toHaveLength(1);
  } finally {
    await app.close();
  }
});
