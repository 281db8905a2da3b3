import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { GitLabHttp, retryAfterMs } from './gitlab-http.ts';

type Step = (req: IncomingMessage, res: ServerResponse) => void;

/** A scripted GitLab: answers requests with the given steps in order; fails on any extra one. */
async function scripted(steps: Step[]): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers['private-token'])}`);
    const step = steps.shift();
    if (!step) {
      res.writeHead(599).end('unexpected request');
      return;
    }
    step(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (_req, res) => {
    res
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify(body));
  };

function client(url: string, waits: number[] = []) {
  return new GitLabHttp({
    baseUrl: url,
    token: 'glpat-test',
    wait: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
}

const user = z.object({ id: z.number() });

/** Posts a note: a POST, which is retried only when it certainly did not reach GitLab. */
function postNote(url: string) {
  return client(url).request('POST', '/projects/1/issues/1/notes', {
    body: { body: 'x' },
    schema: user,
  });
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('GitLabHttp', () => {
  it('sends the token and parses the answer', async () => {
    const forge = await scripted([json(200, { id: 7 })]);
    await expect(client(forge.url).request('GET', '/user', { schema: user })).resolves.toEqual({
      id: 7,
    });
    expect(forge.seen).toEqual(['GET /api/v4/user glpat-test']);
  });

  it('waits as long as Retry-After says on 429, then retries', async () => {
    const waits: number[] = [];
    const forge = await scripted([
      json(429, { message: 'Retry later' }, { 'retry-after': '2' }),
      json(200, { id: 1 }),
    ]);
    await client(forge.url, waits).request('POST', '/projects/1/issues/1/notes', {
      body: { body: 'x' },
      schema: user,
    });
    expect(waits).toEqual([2000]);
    expect(forge.seen).toHaveLength(2);
  });

  it('retries a GET on 502 with growing backoff', async () => {
    const waits: number[] = [];
    const forge = await scripted([json(502, {}), json(502, {}), json(200, { id: 1 })]);
    await client(forge.url, waits).request('GET', '/user', { schema: user });
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBeGreaterThan(0);
    expect(forge.seen).toHaveLength(3);
  });

  it('never retries a POST after a 5xx, so a note is not posted twice', async () => {
    const forge = await scripted([json(500, { message: '500 Internal Server Error' })]);
    const error = await failure(postNote(forge.url));
    expect(error.code).toBe('FORGE_UNAVAILABLE');
    expect(forge.seen).toHaveLength(1);
  });

  it('gives up after the configured retries with FORGE_UNAVAILABLE', async () => {
    const forge = await scripted(Array.from({ length: 5 }, () => json(503, {})));
    const error = await failure(client(forge.url).request('GET', '/user', { schema: user }));
    expect(error.code).toBe('FORGE_UNAVAILABLE');
    expect(forge.seen).toHaveLength(5);
  });

  it.each([
    [401, { message: '401 Unauthorized' }, 'FORGE_UNAUTHORIZED', '401 Unauthorized'],
    [
      403,
      {
        error: 'insufficient_scope',
        error_description:
          'The request requires higher privileges than provided by the access token.',
      },
      'FORGE_FORBIDDEN',
      'insufficient_scope',
    ],
    [404, { message: '404 Project Not Found' }, 'FORGE_NOT_FOUND', '404 Project Not Found'],
    [
      409,
      { message: ['Another open merge request already exists for this source branch: !4'] },
      'FORGE_REJECTED',
      'Another open merge request',
    ],
    [400, { error: 'title is missing' }, 'FORGE_REJECTED', 'title is missing'],
  ])(
    'turns a %i into a typed error carrying GitLab’s message',
    async (status, body, code, text) => {
      const forge = await scripted([json(status, body)]);
      const error = await failure(
        client(forge.url).request('GET', '/projects/1', { schema: user }),
      );
      expect(error.code).toBe(code);
      expect(error.message).toContain(text);
      expect(forge.seen).toHaveLength(1);
    },
  );

  it('refuses an answer that is not the expected shape', async () => {
    const forge = await scripted([json(200, { id: 'seven' })]);
    const error = await failure(client(forge.url).request('GET', '/user', { schema: user }));
    expect(error.code).toBe('FORGE_BAD_RESPONSE');
  });

  it('follows Link rel="next" across pages', async () => {
    const forge = await scripted([
      (req, res) => {
        const next = `http://${String(req.headers.host)}/api/v4/items?page=2&per_page=100`;
        res
          .writeHead(200, { 'content-type': 'application/json', link: `<${next}>; rel="next"` })
          .end('[{"id":1}]');
      },
      json(200, [{ id: 2 }]),
    ]);
    const items = await client(forge.url).all('/items', { schema: z.array(user) });
    expect(items).toEqual([{ id: 1 }, { id: 2 }]);
    expect(forge.seen[1]).toContain('page=2');
  });

  it('does not follow a Link header to another host', async () => {
    const forge = await scripted([
      json(200, [{ id: 1 }], { link: '<http://203.0.113.9/api/v4/items?page=2>; rel="next"' }),
    ]);
    const items = await client(forge.url).all('/items', { schema: z.array(user) });
    expect(items).toEqual([{ id: 1 }]);
    expect(forge.seen).toHaveLength(1);
  });

  it('retries a POST whose connection was refused (it never reached GitLab)', async () => {
    const forge = await scripted([]);
    const { port } = forge.server.address() as AddressInfo;
    await new Promise((r) => forge.server.close(r));
    const waits: number[] = [];
    const http = new GitLabHttp({
      baseUrl: `http://127.0.0.1:${port}`,
      token: 't',
      retries: 2,
      wait: (ms) => Promise.resolve(waits.push(ms)),
    });
    const error = await failure(http.request('POST', '/x', { body: {}, schema: user }));
    expect(error.code).toBe('FORGE_UNAVAILABLE');
    expect(waits).toHaveLength(2);
  });
});

describe('GitLabHttp transport', () => {
  it('reads a gzip-compressed answer', async () => {
    const forge = await scripted([
      (req, res) => {
        expect(req.headers['accept-encoding']).toContain('gzip');
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
          .end(gzipSync(JSON.stringify({ id: 9 })));
      },
    ]);
    await expect(client(forge.url).request('GET', '/user', { schema: user })).resolves.toEqual({
      id: 9,
    });
  });

  it('keeps the connection for the next call', async () => {
    const forge = await scripted([json(200, { id: 1 }), json(200, { id: 2 })]);
    const sockets = new Set<unknown>();
    forge.server.on('request', (req: IncomingMessage) => sockets.add(req.socket));
    const http = client(forge.url);
    await http.request('GET', '/user', { schema: user });
    await http.request('GET', '/user', { schema: user });
    expect(sockets.size).toBe(1);
  });

  it('never follows a redirect, so the token does not travel, and never repeats a POST', async () => {
    const forge = await scripted([
      (_req, res) => {
        res.writeHead(302, { location: 'http://203.0.113.9/api/v4/user' }).end();
      },
    ]);
    const error = await failure(postNote(forge.url));
    expect(error.code).toBe('FORGE_UNAVAILABLE');
    expect(forge.seen).toHaveLength(1);
  });

  it('gives up on a GitLab that does not answer in time', async () => {
    const forge = await scripted([() => undefined, () => undefined]);
    const http = new GitLabHttp({
      baseUrl: forge.url,
      token: 't',
      timeoutMs: 100,
      retries: 1,
      wait: () => Promise.resolve(),
    });
    const error = await failure(http.request('GET', '/user', { schema: user }));
    expect(error.code).toBe('FORGE_UNAVAILABLE');
    expect(forge.seen).toHaveLength(2);
    forge.server.closeAllConnections();
  });

  it('treats an answer cut short as GitLab unavailable, and does not repeat the POST', async () => {
    const forge = await scripted([
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"id":');
        res.destroy();
      },
    ]);
    const error = await failure(postNote(forge.url));
    expect(error.code).toBe('FORGE_UNAVAILABLE');
    expect(forge.seen).toHaveLength(1);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(
      retryAfterMs('Wed, 25 Nov 2026 10:00:10 GMT', Date.parse('Wed, 25 Nov 2026 10:00:00 GMT')),
    ).toBe(10_000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});
