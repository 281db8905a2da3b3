/**
 * The development forge in its own process, as GitLab would be, recording when each of Baton's
 * replies to a discussion arrives (CLOCK_MONOTONIC, comparable across processes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevForge, type DevForge } from '../../devforge/create-dev-forge.ts';
import { serve } from '../support/child-rpc.ts';
import { CallTimings } from './call-timings.ts';

/** Baton's placeholder is a reply: `POST …/issues/:iid/discussions/:discussion_id/notes`. */
const replyPath = /\/issues\/\d+\/discussions\/([^/?]+)\/notes(?:\?|$)/;

let forge: DevForge | undefined;
let reposDir = '';
let recording = false;
const arrivals = new Map<string, bigint>();
let duplicates = 0;
const routes = new CallTimings();

/** `GET /projects/:n/issues/:n/notes`: one name per route, for the time-per-route table. */
function routeOf(method: string, url: string): string {
  const path = url
    .split('?')[0]
    ?.replace(/\/api\/v4/, '')
    .replace(/\/projects\/[^/]+/, '/projects/:id')
    .replace(/\/discussions\/[0-9a-f]{8,}/, '/discussions/:id')
    .replace(/\/files\/[^/]+/, '/files/:path')
    .replace(/\/\d+(?=\/|$)/g, '/:n');
  return `${method} ${path ?? url}`;
}

function onRequest(request: IncomingMessage, response: ServerResponse): void {
  if (recording) {
    const start = performance.now();
    const route = routeOf(request.method ?? '?', request.url ?? '');
    response.on('finish', () => {
      routes.add(route, performance.now() - start);
    });
  }
  if (!recording || request.method !== 'POST') return;
  const match = replyPath.exec(request.url ?? '');
  const discussionId = match?.[1];
  if (discussionId === undefined) return;
  // The first reply counts; a second one would be a duplicate placeholder, counted apart.
  if (arrivals.has(discussionId)) duplicates += 1;
  else arrivals.set(discussionId, process.hrtime.bigint());
}

const handlers = {
  async start() {
    reposDir = await mkdtemp(join(tmpdir(), 'baton-bench-forge-'));
    forge = await createDevForge({ reposDir });
    const { url } = await forge.listen({ host: '127.0.0.1', port: 0 });
    // Ahead of Fastify's own listener: the moment the request is received, before routing.
    forge.app.server.prependListener('request', onRequest);
    return { url };
  },
  record(on: boolean) {
    recording = on;
    if (on) {
      arrivals.clear();
      routes.clear();
      duplicates = 0;
    }
  },
  arrivalCount() {
    return arrivals.size;
  },
  /** `[discussionId, monotonic ns]` pairs, ns as strings (IPC speaks JSON). */
  arrivals() {
    return { arrivals: [...arrivals].map(([id, ns]) => [id, ns.toString()]), duplicates };
  },
  async idle() {
    await forge?.deliveries.idle();
  },
  routes() {
    return routes.entries();
  },
  cpu() {
    return process.cpuUsage();
  },
  async close() {
    await forge?.close();
    if (reposDir !== '') await rm(reposDir, { recursive: true, force: true });
  },
};

export type ForgeHandlers = typeof handlers;

serve(handlers);
