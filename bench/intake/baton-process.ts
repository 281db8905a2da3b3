/**
 * Baton in its own process, as deployed: real database, real stores, the production worker
 * concurrency and pool size, and an info-level logger (written to /dev/null, so its cost is
 * paid without flooding the report). Also serves the bare Fastify baseline on another port.
 */
import { dropBenchState } from '../support/drop-bench-state.ts';
import { connectDevforge } from '../support/connect-devforge.ts';
import { startJobEvent } from '../../src/triggers/start-run.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp, type App } from '../../src/app/build-app.ts';
import { createServices, type Services } from '../../src/app/create-services.ts';
import { GitLabApi } from '../../src/forges/gitlab/gitlab-api.ts';
import type { Delivery } from '../../src/intake/delivery-store.ts';
import { openBenchBaton, type Engine } from '../support/bench-baton.ts';
import { serve } from '../support/child-rpc.ts';
import { summarize } from '../support/stats.ts';
import { CallTimings } from './call-timings.ts';

export type { Engine };

export interface BatonStart {
  engine: Engine;
  postgresUrl: string;
  forgeUrl: string;
  webhookSecret: string;
  serviceAccount: { username: string; token: string };
  projectPath: string;
  flowPath: string;
  logLevel: 'info' | 'silent';
  /** null: Baton's default. */
  workerConcurrency: number | null;
}

interface Running {
  services: Services;
  app: App;
  bare: FastifyInstance;
  schema: string | undefined;
  dataDir: string;
}

let running: Running | undefined;
/** Baton's forge calls (wall time seen by Baton) and whole-delivery processing times. */
const forgeCalls = new CallTimings();
let processMs: number[] = [];
/** Baton's statements on the placeholder path, as Baton saw them (wall time, commit included). */
let statementMs: Record<'insert' | 'settle', number[]> = { insert: [], settle: [] };
/** Event loop utilisation since `resetProfile`: how busy Baton's one thread was. */
let elu = performance.eventLoopUtilization();
/** How late timers fired since `resetProfile`: how long one task could hold up every other. */
const loopDelayResolutionMs = 5;
const loopDelay = monitorEventLoopDelay({ resolution: loopDelayResolutionMs });
loopDelay.enable();

function lateMs(betweenSamplesNs: number): number {
  return Math.max(0, betweenSamplesNs / 1e6 - loopDelayResolutionMs);
}

function current(): Running {
  if (running === undefined) throw new Error('Baton has not been started');
  return running;
}

/** The ceiling of the HTTP stack: Fastify, the same body handling, no validation, no store. */
async function startBare(): Promise<{ bare: FastifyInstance; url: string }> {
  const bare = Fastify<Server, IncomingMessage, ServerResponse>({ logger: false });
  bare.removeAllContentTypeParsers();
  bare.addContentTypeParser(['application/json'], { parseAs: 'string' }, (_r, body, next) => {
    next(null, body);
  });
  bare.post('/webhooks/gitlab/:connection', (_request, reply) =>
    reply.status(200).send({ status: 'accepted', deliveryId: '0' }),
  );
  const url = await bare.listen({ host: '127.0.0.1', port: 0 });
  return { bare, url };
}

const handlers = {
  async start(input: BatonStart) {
    const { config, logger, database, schema, dataDir } = await openBenchBaton({
      engine: input.engine,
      postgresUrl: input.postgresUrl,
      logLevel: input.logLevel,
    });
    const services = await createServices({
      config,
      logger,
      database,
      ...(input.workerConcurrency === null ? {} : { workerConcurrency: input.workerConcurrency }),
      // The default factory, with every call timed.
      createApi: (connection, account) =>
        forgeCalls.wrap(
          new GitLabApi({ baseUrl: connection.baseUrl, token: account.token, logger }),
        ),
    });
    const { pipeline, deliveries } = services;
    // Timed in place: the route and the worker hold this same store.
    for (const name of ['insert', 'settle'] as const) {
      const original = deliveries[name].bind(deliveries) as (
        ...args: unknown[]
      ) => Promise<unknown>;
      (deliveries as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await original(...args);
        } finally {
          statementMs[name].push(performance.now() - start);
        }
      };
    }
    const process_ = pipeline.process.bind(pipeline);
    pipeline.process = async (delivery: Delivery) => {
      const start = performance.now();
      try {
        return await process_(delivery);
      } finally {
        processMs.push(performance.now() - start);
      }
    };
    const app = await buildApp({ config, logger, services });
    const batonUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    services.publicUrl.value = batonUrl;
    const { bare, url: bareUrl } = await startBare();
    running = { services, app, bare, schema, dataDir };

    const accountId = await connectDevforge(services, input);
    await services.triggers.create({
      connectionId: 'devforge',
      scope: { type: 'project', path: input.projectPath },
      description: 'Claude on mention',
      eventTypes: ['mention', 'assign', 'assign_reviewer'],
      serviceAccountId: accountId,
      active: true,
      flow: { kind: 'config_path', path: input.flowPath },
    });
    return {
      batonUrl,
      bareUrl,
      schema: schema ?? null,
      poolSize: config.database.poolSize,
    };
  },
  startWorker() {
    current().services.worker.start();
  },
  async stopWorker() {
    await current().services.worker.stop();
  },
  async deliveryCount() {
    const row = await current()
      .services.database.db.selectFrom('webhook_deliveries')
      .where('event', '<>', startJobEvent)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  /** Waits (bounded) until no delivery is pending or being processed; counts the outcomes. */
  async drain(timeoutMs: number) {
    const { db } = current().services.database;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Webhook deliveries and the start jobs they queue (which prepare and queue the runs).
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select([
          'status',
          sql<boolean>`event = ${sql.lit(startJobEvent)}`.as('start'),
          sql<string>`count(*) filter (where outcome like 'run % queued')`.as('queued'),
          (eb) => eb.fn.countAll<string>().as('n'),
        ])
        .groupBy(['status', sql`event = ${sql.lit(startJobEvent)}`])
        .execute();
      const open = rows
        .filter((r) => r.status === 'pending' || r.status === 'processing')
        .reduce((sum, r) => sum + Number(r.n), 0);
      if (open === 0 || Date.now() > deadline) {
        const byStatus: Record<string, number> = {};
        let runsQueued = 0;
        let startsOpen = 0;
        for (const r of rows) {
          if (r.start && (r.status === 'pending' || r.status === 'processing'))
            startsOpen += Number(r.n);
          if (r.start) runsQueued += Number(r.queued);
          else byStatus[r.status] = (byStatus[r.status] ?? 0) + Number(r.n);
        }
        return { drained: open === 0, byStatus, runsQueued, startsOpen };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
  cpu() {
    return process.cpuUsage();
  },
  resetProfile() {
    forgeCalls.clear();
    processMs = [];
    statementMs = { insert: [], settle: [] };
    elu = performance.eventLoopUtilization();
    loopDelay.reset();
  },
  profile() {
    return {
      forgeCalls: forgeCalls.entries(),
      process: summarize(processMs),
      insert: summarize(statementMs.insert),
      settle: summarize(statementMs.settle),
      eventLoopBusy: performance.eventLoopUtilization(elu).utilization,
      // The histogram holds the time between samples (ns), resolution included: an idle loop
      // reads 5.1 ms. What a ready callback waited is the excess.
      loopDelayMs: {
        p50: lateMs(loopDelay.percentile(50)),
        p99: lateMs(loopDelay.percentile(99)),
        max: lateMs(loopDelay.max),
      },
    };
  },
  async close() {
    const state = running;
    if (state === undefined) return;
    running = undefined;
    await state.app.close();
    await state.bare.close();
    await state.services.worker.stop();
    await dropBenchState({
      database: state.services.database,
      schema: state.schema,
      dataDir: state.dataDir,
    });
  },
};

export type BatonHandlers = typeof handlers;

serve(handlers);
