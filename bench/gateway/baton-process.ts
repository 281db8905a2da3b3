/**
 * Baton in its own process, serving the gateway as deployed: `createServices` and `buildApp` on
 * a real database (Postgres in a fresh schema, or PGlite), the gateway mounted in front of
 * Fastify, call records written, info-level logging to /dev/null. The delivery worker and the
 * run scheduler are not started: nothing here needs them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../../src/app/build-app.ts';
import { createServices, type Services } from '../../src/app/create-services.ts';
import { openBenchBaton, type Engine } from '../support/bench-baton.ts';
import { serve } from '../support/child-rpc.ts';
import { dropBenchState } from '../support/drop-bench-state.ts';

export type { Engine };

export interface BatonStart {
  engine: Engine;
  postgresUrl: string;
  upstreamUrl: string;
  keys: { anthropic: string; openai: string };
}

interface Running {
  services: Services;
  app: App;
  floor: http.Server;
  schema: string | undefined;
  dataDir: string;
}

let running: Running | undefined;
let elu = performance.eventLoopUtilization();

function current(): Running {
  if (running === undefined) throw new Error('Baton has not been started');
  return running;
}

/**
 * The floor: the least a node:http reverse proxy can do in this process — pipe the request to
 * the provider on a keep-alive agent and pipe the reply back, no routing, no token, no
 * metering, no records. What it adds over direct is the extra hop itself.
 */
async function startFloor(upstreamUrl: string): Promise<{ server: http.Server; url: string }> {
  const target = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const outgoing = http.request(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    outgoing.on('error', () => res.destroy());
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const handlers = {
  async start(input: BatonStart) {
    const provider = (apiKey: string) => ({ baseUrl: input.upstreamUrl, apiKey });
    const { config, logger, database, schema, dataDir } = await openBenchBaton({
      engine: input.engine,
      postgresUrl: input.postgresUrl,
      settings: {
        gateway: {
          providers: {
            anthropic: provider(input.keys.anthropic),
            openai: provider(input.keys.openai),
            google: provider('unused-google-key'),
          },
          // Budgets stay on (their check runs on every call) but never run out here.
          runBudgetUsd: 1_000_000,
          projectDailyBudgetUsd: 1_000_000,
        },
      },
    });
    const services = await createServices({ config, logger, database });
    await services.gateway.start();
    const app = await buildApp({ config, logger, services });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const floor = await startFloor(input.upstreamUrl);
    running = { services, app, floor: floor.server, schema, dataDir };
    const granted = await services.gateway.grant({
      runId: 'bench-run',
      connectionId: 'bench',
      projectPath: 'bench/app',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    return { url, floorUrl: floor.url, token: granted.token };
  },
  /** Call records written so far (after writing the queue). */
  async records() {
    const { gateway } = current().services;
    return (await gateway.usage('bench-run')).calls;
  },
  cpu() {
    return process.cpuUsage();
  },
  resetProfile() {
    elu = performance.eventLoopUtilization();
  },
  profile() {
    return { eventLoopUtilization: performance.eventLoopUtilization(elu).utilization };
  },
  async stop() {
    const state = current();
    running = undefined;
    state.floor.closeAllConnections();
    state.floor.close();
    await state.app.close();
    await state.services.gateway.stop();
    await dropBenchState({ database: state.services.database, ...state });
  },
};

export type BatonHandlers = typeof handlers;

serve(handlers);
