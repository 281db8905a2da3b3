/**
 * Baton in its own process, as `startServer` starts it: real database and stores, the delivery
 * worker, the run scheduler and the bubblewrap sandbox (probed first), info-level logging to
 * /dev/null. Each run's steps are marked on CLOCK_MONOTONIC (comparable with the parent's
 * `process.hrtime`) by wrapping the services the executor already calls; nothing in src/ changes.
 */
import { dropBenchState } from '../support/drop-bench-state.ts';
import { connectDevforge } from '../support/connect-devforge.ts';
import { spawn } from 'node:child_process';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type App } from '../../src/app/build-app.ts';
import { createServices, type Services } from '../../src/app/create-services.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { openBenchBaton, type Engine } from '../support/bench-baton.ts';
import type { RunEvent } from '../../src/runs/run-events.ts';
import { MirrorCache } from '../../src/runs/workspace/mirror-cache.ts';
import { assertSandboxWorks } from '../../src/sandbox/create-sandbox.ts';
import type { SandboxProcess } from '../../src/sandbox/sandbox.ts';
import { GitLabApi } from '../../src/forges/gitlab/gitlab-api.ts';
import { GitRunner } from '../../src/runs/workspace/git-runner.ts';
import { CallTimings } from '../intake/call-timings.ts';
import { serve } from '../support/child-rpc.ts';
import { flowMarker } from './marker-flow.ts';

export type { Engine };

export interface BatonStart {
  engine: Engine;
  postgresUrl: string;
  forgeUrl: string;
  webhookSecret: string;
  serviceAccount: { username: string; token: string };
  projectPaths: string[];
  flowPath: string;
  maxConcurrent: number;
}

/** Monotonic milliseconds of each step of one run, as Baton reached it. */
export interface RunMarks {
  runId: string;
  discussionId: string;
  projectPath: string;
  queued: number;
  claimed?: number;
  workspaceDone?: number;
  sandboxStarted?: number;
  marker?: number;
  finished?: number;
  outcome?: string;
}

interface Running {
  services: Services;
  app: App;
  schema: string | undefined;
  dataDir: string;
}

let running: Running | undefined;
const marks = new Map<string, RunMarks>();
/** Runs claimed before their `createQueued` resolved here (the scheduler is that fast). */
const early = new Map<string, number>();
let changed: () => void = () => undefined;

/** Baton's forge calls and git subcommands (wall time), per measured phase. */
const forgeCalls = new CallTimings();
const gitCalls = new CallTimings();

// Every GitRunner (the executor's mirror cache is built inside createServices) times each git
// subcommand under its name: `fetch`, `clone`, `checkout`, `read-tree`…
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
const gitRun = GitRunner.prototype.run;
GitRunner.prototype.run = function (this: GitRunner, args, options) {
  const name = args.find((a) => !a.startsWith('-')) ?? '?';
  const start = performance.now();
  return gitRun.call(this, args, options).finally(() => {
    gitCalls.add(`git ${name}`, performance.now() - start);
  });
};

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function current(): Running {
  if (running === undefined) throw new Error('Baton has not been started');
  return running;
}

function onEvent(runId: string, event: RunEvent): void {
  const at = nowMs();
  const run = marks.get(runId);
  if (run === undefined) return;
  if (event.type === 'progress' && event.item.id === 'workspace' && event.item.state === 'done')
    run.workspaceDone ??= at;
  if (event.type === 'log' && run.marker === undefined && event.text.includes(flowMarker))
    run.marker = at;
  if (event.type === 'finished') {
    run.finished = at;
    run.outcome = event.outcome;
  }
  changed();
}

/** Wraps the services the executor and starter hold (same objects), to mark each step. */
function instrument(services: Services): void {
  const { runs, queue, events, sandbox } = services;
  const createQueued = runs.createQueued.bind(runs);
  runs.createQueued = async (...args) => {
    const run = await createQueued(...args);
    marks.set(run.id, {
      runId: run.id,
      discussionId: run.discussionId ?? '',
      projectPath: run.projectPath,
      queued: nowMs(),
      ...(early.has(run.id) ? { claimed: early.get(run.id) } : {}),
    });
    return run;
  };
  const claim = queue.claim.bind(queue);
  queue.claim = async (...args) => {
    const id = await claim(...args);
    if (id !== undefined) {
      const run = marks.get(id);
      if (run === undefined) early.set(id, nowMs());
      else run.claimed = nowMs();
    }
    return id;
  };
  const publish = events.publish.bind(events);
  events.publish = (runId, event) => {
    onEvent(runId, event);
    publish(runId, event);
  };
  const start = sandbox.start.bind(sandbox);
  sandbox.start = async (spec) => {
    const process_ = await start(spec);
    const run = marks.get(spec.runId);
    if (run !== undefined) run.sandboxStarted = nowMs();
    return process_;
  };
}

function exec(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}`));
    });
  });
}

/** Spawns `command` and resolves when its stdout first carries `text`, ms. */
function untilOutput(command: string, args: string[], text: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let elapsed: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (elapsed === undefined && out.includes(text)) elapsed = performance.now() - start;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (elapsed === undefined) reject(new Error(`${command} exited ${code} without ${text}`));
      else resolve(elapsed);
    });
  });
}

/** Reads a sandboxed process's output until `text`, ms since `start`; then waits for its end. */
async function sandboxUntil(process_: SandboxProcess, text: string, start: number) {
  let out = '';
  let elapsed: number | undefined;
  for await (const { chunk } of process_.output) {
    out += chunk.toString('utf8');
    if (elapsed === undefined && out.includes(text)) elapsed = performance.now() - start;
  }
  const end = await process_.ended;
  if (elapsed === undefined)
    throw new Error(`sandboxed echo ended (${end.reason}) without ${text}`);
  return elapsed;
}

const handlers = {
  async start(input: BatonStart) {
    const { config, logger, database, schema, dataDir } = await openBenchBaton({
      engine: input.engine,
      postgresUrl: input.postgresUrl,
      settings: {
        runs: {
          sandbox: 'bubblewrap',
          maxConcurrent: input.maxConcurrent,
          maxConcurrentPerProject: input.maxConcurrent,
        },
      },
    });
    const services = await createServices({
      config,
      logger,
      database,
      // The default factory, with every call timed.
      createApi: (connection, account) =>
        forgeCalls.wrap(
          new GitLabApi({ baseUrl: connection.baseUrl, token: account.token, logger }),
        ),
    });
    instrument(services);
    const app = await buildApp({ config, logger, services });
    const batonUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    services.publicUrl.value = batonUrl;
    running = { services, app, schema, dataDir };
    // No run goes unsandboxed: a failed probe fails the bench (Baton would refuse every run).
    await assertSandboxWorks(services.sandbox, logger);

    const accountId = await connectDevforge(services, input);
    for (const path of input.projectPaths) {
      await services.triggers.create({
        connectionId: 'devforge',
        scope: { type: 'project', path },
        description: 'Claude on mention',
        eventTypes: ['mention'],
        serviceAccountId: accountId,
        active: true,
        flow: { kind: 'config_path', path: input.flowPath },
      });
    }
    await services.scheduler.start();
    services.worker.start();
    return { batonUrl, dataDir };
  },

  /** Resolves (bounded) once every run of these discussions has finished; their marks. */
  async waitForRuns(input: { discussionIds: string[]; timeoutMs: number }) {
    const wanted = new Set(input.discussionIds);
    const deadline = Date.now() + input.timeoutMs;
    const done = () => {
      const found = [...marks.values()].filter(
        (m) => wanted.has(m.discussionId) && m.finished !== undefined,
      );
      return found.length >= wanted.size ? found : undefined;
    };
    for (;;) {
      const found = done();
      if (found !== undefined) {
        // The executor removes the workspace after the final note: let it, so that the next
        // measured run does not share the machine with that.
        await current().services.scheduler.idle();
        return { complete: true, marks: found };
      }
      const left = deadline - Date.now();
      if (left <= 0)
        return {
          complete: false,
          marks: [...marks.values()].filter((m) => wanted.has(m.discussionId)),
        };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        changed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  },

  /**
   * What a run needs at the least, without Baton: a private copy of the warm mirror
   * (`git clone --no-hardlinks`), then `echo` spawned directly and inside the same sandbox.
   */
  async baseline(input: { projectId: number; count: number }) {
    const { services, dataDir } = current();
    const mirror = new MirrorCache({ dataDir, logger: createLogger({ level: 'silent' }) });
    const mirrorPath = mirror.mirrorPath('devforge', input.projectId);
    const samples = { clone: [] as number[], spawn: [] as number[], sandbox: [] as number[] };
    for (let i = 0; i < input.count; i += 1) {
      const runId = `bench-baseline-${input.projectId}-${i}`;
      const runDir = join(dataDir, 'workspaces', runId);
      const workspace = join(runDir, 'workspace');
      await mkdir(runDir, { recursive: true, mode: 0o711 });
      await chmod(runDir, 0o711);
      try {
        const cloneStart = performance.now();
        await exec('git', ['clone', '--quiet', '--no-hardlinks', mirrorPath, workspace]);
        samples.clone.push(performance.now() - cloneStart);
        samples.spawn.push(await untilOutput('bash', ['-c', 'echo x'], 'x'));
        const start = performance.now();
        const process_ = await services.sandbox.start({
          runId,
          workspaceDir: workspace,
          command: ['bash', '-c', 'echo x'],
          env: {},
          limits: {
            memoryBytes: 4096 * 1024 * 1024,
            pids: 1024,
            cpuPercent: 200,
            wallMs: 60_000,
            outputBytes: 1024 * 1024,
          },
          forwards: [],
          network: null,
        });
        samples.sandbox.push(await sandboxUntil(process_, 'x', start));
      } finally {
        await rm(runDir, { recursive: true, force: true });
      }
    }
    return samples;
  },

  resetProfile() {
    forgeCalls.clear();
    gitCalls.clear();
  },
  profile() {
    return { forge: forgeCalls.entries(), git: gitCalls.entries() };
  },

  async close() {
    const state = running;
    if (state === undefined) return;
    running = undefined;
    await state.app.close();
    await state.services.worker.stop();
    await state.services.scheduler.stop();
    await dropBenchState({
      database: state.services.database,
      schema: state.schema,
      dataDir: state.dataDir,
    });
  },
};

export type BatonHandlers = typeof handlers;

serve(handlers);
