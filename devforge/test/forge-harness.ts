import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevForge, type DevForge } from '../create-dev-forge.ts';

/** Tokens seeded by `fixtures/default.json`. */
export const tokens = {
  root: 'glpat-root-admin-token-0001',
  alice: 'glpat-alice-api-token-0001',
  aliceReadOnly: 'glpat-alice-read-token-0001',
  mia: 'glpat-mia-api-token-0001',
  rita: 'glpat-rita-api-token-0001',
  gus: 'glpat-gus-api-token-0001',
  nora: 'glpat-nora-api-token-0001',
  claude: 'glpat-claude-agent-token-0001',
  codex: 'glpat-codex-agent-token-0001',
} as const;

export interface StartedForge {
  forge: DevForge;
  url: string;
  stop(): Promise<void>;
}

/** A forge with the default fixture on 127.0.0.1 and a throw-away repositories directory. */
export async function startForge(): Promise<StartedForge> {
  const reposDir = await mkdtemp(join(tmpdir(), 'devforge-test-'));
  const forge = await createDevForge({ reposDir });
  const { url } = await forge.listen({ host: '127.0.0.1', port: 0 });
  return {
    forge,
    url,
    async stop() {
      await forge.close();
      await rm(reposDir, { recursive: true, force: true });
    },
  };
}

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  raw: string;
}

/** A local HTTP server that records webhook deliveries and answers a chosen status. */
export async function startReceiver(status = 200): Promise<{
  url: string;
  received: ReceivedHook[];
  close(): Promise<void>;
}> {
  const received: ReceivedHook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({
        headers: request.headers,
        body: JSON.parse(raw) as Record<string, unknown>,
        raw,
      });
      response.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Plain fetch against the forge API with a token. */
export async function api(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers['PRIVATE-TOKEN'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}/api/v4/${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? null : (JSON.parse(text) as unknown),
  };
}
