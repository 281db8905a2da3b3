/**
 * `npm run bench -- intake`: webhook received by Baton → placeholder note received by the forge
 * (open loop at a steady rate), and the highest rate of durably accepted deliveries (closed
 * loop, worker stopped), on Postgres and on PGlite, each against a baseline measured in the same
 * run. Three processes: this one (load generator), Baton, and the development forge.
 */
import { intOption } from './support/bench-options.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { processingNote } from '../src/triggers/acknowledgement-notes.ts';
import { testPostgresUrl } from '../test/helpers/global-setup.ts';
import type { BatonHandlers, Engine } from './intake/baton-process.ts';
import {
  addProjectHook,
  captureMentions,
  commitFlow,
  createIssue,
  flowPath,
  project,
  projectPath,
  rest,
  tokens,
  type CapturedNoteHook,
} from './intake/forge-setup.ts';
import type { ForgeHandlers } from './intake/forge-process.ts';
import { startChild, type Child } from './support/child-rpc.ts';
import { closedLoop, HttpClient, openLoop } from './support/http-load.ts';
import { ms, perSecond, ratio, summarize, table, type LatencySummary } from './support/stats.ts';

const targets = { p99Ms: 50, atPerSecond: 100, postgresAcceptPerSecond: 1000 };

interface Options {
  engines: Engine[];
  deliveries: number;
  rate: number;
  warmup: number;
  issues: number;
  accept: number;
  trial: number;
  concurrency: number[];
  baselineNotes: number;
  settleSeconds: number;
  workerConcurrency: number | undefined;
  phases: Set<'latency' | 'accept'>;
  logLevel: 'info' | 'silent';
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      engines: { type: 'string', default: 'postgres,pglite' },
      deliveries: { type: 'string', default: '2000' },
      rate: { type: 'string', default: String(targets.atPerSecond) },
      warmup: { type: 'string', default: '50' },
      issues: { type: 'string', default: '100' },
      accept: { type: 'string', default: '5000' },
      trial: { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '8,16,32' },
      'baseline-notes': { type: 'string', default: '500' },
      settle: { type: 'string', default: '20' },
      'worker-concurrency': { type: 'string' },
      phases: { type: 'string', default: 'latency,accept' },
      log: { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const int = intOption;
  const engines = values.engines.split(',').map((e) => e.trim());
  for (const e of engines)
    if (e !== 'postgres' && e !== 'pglite') throw new Error(`unknown engine ${e}`);
  if (values.log !== 'info' && values.log !== 'silent')
    throw new Error('--log must be info or silent');
  return {
    engines: engines as Engine[],
    deliveries: int('deliveries', values.deliveries, 1, 20_000),
    rate: int('rate', values.rate, 1, 2000),
    warmup: int('warmup', values.warmup, 0, 2000),
    issues: int('issues', values.issues, 1, 2000),
    accept: int('accept', values.accept, 1, 50_000),
    trial: int('trial', values.trial, 1, 50_000),
    concurrency: values.concurrency.split(',').map((c) => int('concurrency', c, 1, 256)),
    baselineNotes: int('baseline-notes', values['baseline-notes'], 1, 10_000),
    settleSeconds: int('settle', values.settle, 1, 600),
    workerConcurrency:
      values['worker-concurrency'] === undefined
        ? undefined
        : int('worker-concurrency', values['worker-concurrency'], 1, 256),
    phases: new Set(
      values.phases.split(',').map((phase) => {
        if (phase !== 'latency' && phase !== 'accept') throw new Error(`unknown phase ${phase}`);
        return phase;
      }),
    ),
    logLevel: values.log,
  };
}

interface CpuSnapshot {
  user: number;
  system: number;
}
const cpuSeconds = (a: CpuSnapshot, b: CpuSnapshot) =>
  (b.user - a.user + b.system - a.system) / 1e6;

const nsToMs = (ns: bigint) => Number(ns) / 1e6;

interface LatencyResult {
  placeholder: LatencySummary;
  intake: LatencySummary;
  firstTenth: LatencySummary;
  lastTenth: LatencySummary;
  /** Placeholders not at the forge within the settle window (their deliveries stay queued). */
  late: number;
  duplicates: number;
  errors: number;
  maxLagMs: number;
  statuses: Record<string, number>;
  runsQueued: number;
  /** Start jobs still queued when the worker stopped (they come after placeholders). */
  startsOpen: number;
  cpu: { baton: number; forge: number; client: number; wallSeconds: number };
  /** Share of the window Baton's event loop was busy (its one thread's utilisation). */
  eventLoopBusy: number;
  /** Baton's event loop delay (how long a ready callback waited), ms. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Baton's whole-delivery processing time, and its forge calls as Baton saw them. */
  processing: LatencySummary;
  /** The intake insert (commit included) and the worker's one outcome statement, as Baton saw them. */
  insert: LatencySummary;
  settle: LatencySummary;
  forgeCalls: [string, number, number][];
  /** Server-side time per forge route. */
  forgeRoutes: [string, number, number][];
}

interface RateResult {
  concurrency: number;
  perSecond: number;
  accepted: number;
  errors: number;
}

interface RateSeries {
  trials: RateResult[];
  best: RateResult;
  /** Server process CPU per accepted delivery during the run at the best concurrency. */
  cpuMsPerDelivery: number;
}

interface EngineResult {
  engine: Engine;
  poolSize: number;
  latency?: LatencyResult & { forgeNote: LatencySummary };
  accept?: RateSeries & { rowsAdded: number; rowsExpected: number };
  bare?: RateSeries;
}

/** Headers GitLab sends with a project Note Hook; a fresh Idempotency-Key per delivery. */
function hookHeaders(secret: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.11.1-bench',
    'x-gitlab-event': 'Note Hook',
    'x-gitlab-token': secret,
    'x-gitlab-instance': 'http://127.0.0.1',
    'x-gitlab-event-uuid': randomUUID(),
    'idempotency-key': randomUUID(),
  };
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The forge's own note-creation round trip (POST reply → 201) at the same open-loop rate. */
async function measureForgeNote(forgeUrl: string, options: Options): Promise<LatencySummary> {
  const iid = await createIssue(forgeUrl, 'Bench baseline: forge note round trip');
  const thread = (await rest(
    forgeUrl,
    'alice',
    'POST',
    `/projects/${project}/issues/${iid}/discussions`,
    { body: 'Baseline thread' },
  )) as { id: string };
  const url = new URL(
    `${forgeUrl}/api/v4/projects/${project}/issues/${iid}/discussions/${thread.id}/notes`,
  );
  const body = JSON.stringify({ body: processingNote });
  const headers = { 'content-type': 'application/json', 'private-token': tokens['claude-agent'] };
  const client = new HttpClient(64);
  const samples: number[] = [];
  let errors = 0;
  await openLoop({
    count: options.baselineNotes,
    perSecond: options.rate,
    maxMs: 30_000,
    send: async () => {
      const start = process.hrtime.bigint();
      const response = await client.send('POST', url, headers, body).catch(() => undefined);
      if (response?.status === 201) samples.push(nsToMs(process.hrtime.bigint() - start));
      else errors += 1;
    },
  });
  client.close();
  if (errors > 0) throw new Error(`${errors} forge note baseline requests failed`);
  return summarize(samples);
}

async function measureLatency(
  forge: Child<ForgeHandlers>,
  baton: Child<BatonHandlers>,
  hookUrl: URL,
  secret: string,
  mentions: readonly CapturedNoteHook[],
  options: Options,
): Promise<LatencyResult> {
  const client = new HttpClient(256);
  const sentAt = new Map<string, bigint>();
  const intake: number[] = [];
  let errors = 0;
  const deliver = async (mention: CapturedNoteHook, timed: boolean) => {
    const start = process.hrtime.bigint();
    if (timed) sentAt.set(mention.discussionId, start);
    const response = await client
      .send('POST', hookUrl, hookHeaders(secret), mention.body)
      .catch(() => undefined);
    if (response?.status === 200 && response.body.includes('"accepted"')) {
      if (timed) intake.push(nsToMs(process.hrtime.bigint() - start));
    } else {
      errors += 1;
    }
  };

  // Warm-up: JIT, connection pools, caches; processed completely before the measurement.
  const warm = mentions.slice(0, options.warmup);
  const measured = mentions.slice(options.warmup);
  await openLoop({
    count: warm.length,
    perSecond: options.rate,
    maxMs: 60_000,
    send: (i) => deliver(warm[i] as CapturedNoteHook, false),
  });
  await baton.call('drain', 60_000);
  await forge.call('idle');

  await forge.call('record', true);
  await baton.call('resetProfile');
  const cpu0 = {
    baton: await baton.call('cpu'),
    forge: await forge.call('cpu'),
    client: process.cpuUsage(),
    at: performance.now(),
  };
  const loop = await openLoop({
    count: measured.length,
    perSecond: options.rate,
    maxMs: (measured.length / options.rate) * 1000 + 30_000,
    send: (i) => deliver(measured[i] as CapturedNoteHook, true),
  });
  // Bounded: a placeholder still queued after the settle window is reported late, not awaited.
  await waitFor(
    async () => (await forge.call('arrivalCount')) >= measured.length,
    options.settleSeconds * 1000,
  );
  const cpu1 = {
    baton: await baton.call('cpu'),
    forge: await forge.call('cpu'),
    client: process.cpuUsage(),
    at: performance.now(),
  };
  // Finishes the deliveries in progress; the rest stays pending in the database (a backlog).
  await baton.call('stopWorker');
  await forge.call('idle');
  await forge.call('record', false);
  const { arrivals, duplicates } = await forge.call('arrivals');
  const profile = await baton.call('profile');
  const forgeRoutes = await forge.call('routes');
  const statuses = await baton.call('drain', 0);
  client.close();

  const arrived = new Map(arrivals.map(([id, ns]) => [id, BigInt(ns as string)]));
  const latencies: number[] = [];
  let late = loop.unsent;
  for (const mention of measured) {
    const start = sentAt.get(mention.discussionId);
    const end = arrived.get(mention.discussionId);
    if (start === undefined) continue;
    if (end === undefined) {
      late += 1;
      latencies.push(Number.POSITIVE_INFINITY);
    } else latencies.push(nsToMs(end - start));
  }
  const tenth = Math.max(1, Math.floor(latencies.length / 10));
  return {
    placeholder: summarize(latencies),
    intake: summarize(intake),
    firstTenth: summarize(latencies.slice(0, tenth)),
    lastTenth: summarize(latencies.slice(-tenth)),
    late,
    duplicates,
    errors,
    maxLagMs: loop.maxLagMs,
    statuses: statuses.byStatus,
    runsQueued: statuses.runsQueued,
    startsOpen: statuses.startsOpen,
    cpu: {
      baton: cpuSeconds(cpu0.baton, cpu1.baton),
      forge: cpuSeconds(cpu0.forge, cpu1.forge),
      client: cpuSeconds(cpu0.client, cpu1.client),
      wallSeconds: (cpu1.at - cpu0.at) / 1000,
    },
    eventLoopBusy: profile.eventLoopBusy,
    loopDelayMs: profile.loopDelayMs,
    processing: profile.process,
    insert: profile.insert,
    settle: profile.settle,
    forgeCalls: profile.forgeCalls,
    forgeRoutes,
  };
}

/** Closed-loop throughput of answered-as-accepted deliveries at one concurrency. */
async function measureRate(
  url: URL,
  secret: string,
  mentions: readonly CapturedNoteHook[],
  count: number,
  concurrency: number,
): Promise<RateResult> {
  const client = new HttpClient(concurrency);
  let accepted = 0;
  let errors = 0;
  const report = await closedLoop({
    count,
    concurrency,
    maxMs: 60_000,
    send: async (i) => {
      const mention = mentions[i % mentions.length] as CapturedNoteHook;
      const response = await client
        .send('POST', url, hookHeaders(secret), mention.body)
        .catch(() => undefined);
      if (response?.status === 200 && response.body.includes('"accepted"')) accepted += 1;
      else errors += 1;
    },
  });
  client.close();
  errors += count - report.started;
  return { concurrency, perSecond: (accepted / report.elapsedMs) * 1000, accepted, errors };
}

/** Tries each concurrency on `trial` deliveries, then measures `accept` at the best one. */
async function bestRate(
  url: URL,
  secret: string,
  mentions: readonly CapturedNoteHook[],
  options: Options,
  serverCpu: () => Promise<CpuSnapshot>,
): Promise<RateSeries> {
  const trials: RateResult[] = [];
  for (const concurrency of options.concurrency)
    trials.push(await measureRate(url, secret, mentions, options.trial, concurrency));
  const fastest = trials.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const before = await serverCpu();
  const best = await measureRate(url, secret, mentions, options.accept, fastest.concurrency);
  const cpuMsPerDelivery = (cpuSeconds(before, await serverCpu()) * 1000) / best.accepted;
  return { trials, best, cpuMsPerDelivery };
}

async function benchEngine(engine: Engine, options: Options): Promise<EngineResult> {
  const forge = startChild<ForgeHandlers>(new URL('./intake/forge-process.ts', import.meta.url));
  const baton = startChild<BatonHandlers>(new URL('./intake/baton-process.ts', import.meta.url));
  try {
    const { url: forgeUrl } = await forge.call('start');
    const secret = randomBytes(16).toString('hex');
    const started = await baton.call('start', {
      engine,
      postgresUrl: testPostgresUrl,
      forgeUrl,
      webhookSecret: secret,
      serviceAccount: { username: 'claude-agent', token: tokens['claude-agent'] },
      projectPath,
      flowPath,
      logLevel: options.logLevel,
      workerConcurrency: options.workerConcurrency ?? null,
    });
    await commitFlow(forgeUrl);
    const issues = [1];
    for (let i = 1; i < options.issues; i += 1)
      issues.push(await createIssue(forgeUrl, `Bench issue ${i}`));
    process.stdout.write(
      `  [${engine}] capturing ${options.warmup + options.deliveries} Note Hooks…\n`,
    );
    const mentions = await captureMentions({
      forgeUrl,
      count: options.warmup + options.deliveries,
      issues,
      mention: '@claude-agent',
      timeoutMs: 60_000,
    });
    const hookUrl = new URL(`${started.batonUrl}/webhooks/gitlab/devforge`);
    const result: EngineResult = { engine, poolSize: started.poolSize };
    if (options.phases.has('latency')) {
      process.stdout.write(`  [${engine}] forge note baseline…\n`);
      const forgeNote = await measureForgeNote(forgeUrl, options);
      // Baton's own hook, as in production: its notes come back to it as Note Hooks.
      await addProjectHook(forgeUrl, hookUrl.toString(), secret);
      await baton.call('startWorker');
      process.stdout.write(`  [${engine}] latency at ${options.rate}/s…\n`);
      const latency = await measureLatency(forge, baton, hookUrl, secret, mentions, options);
      result.latency = { ...latency, forgeNote };
    }
    if (options.phases.has('accept')) {
      process.stdout.write(`  [${engine}] durable accept rate (worker stopped)…\n`);
      const batonCpu = () => baton.call('cpu');
      const rowsBefore = await baton.call('deliveryCount');
      const accept = await bestRate(hookUrl, secret, mentions, options, batonCpu);
      const rowsAdded = (await baton.call('deliveryCount')) - rowsBefore;
      const rowsExpected = [...accept.trials, accept.best].reduce((n, r) => n + r.accepted, 0);
      result.accept = { ...accept, rowsAdded, rowsExpected };
      const bareUrl = new URL(`${started.bareUrl}/webhooks/gitlab/devforge`);
      result.bare = await bestRate(bareUrl, secret, mentions, options, batonCpu);
    }
    return result;
  } finally {
    await baton.call('close').catch((error: unknown) => {
      console.error(`closing Baton failed: ${String(error)}`);
    });
    await forge.call('close').catch(() => undefined);
    await Promise.all([baton.stop(), forge.stop()]);
  }
}

async function machineFacts(engines: readonly Engine[]): Promise<string[]> {
  const cpu = cpus();
  const facts = [
    `cores: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}`,
    `node: ${process.version}`,
    `load average at start (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  ];
  if (engines.includes('postgres')) {
    const client = new pg.Client({ connectionString: testPostgresUrl });
    await client.connect();
    try {
      const show = async (setting: string) =>
        (await client.query<{ value: string }>('select current_setting($1) as value', [setting]))
          .rows[0]?.value ?? '?';
      const version = await show('server_version');
      const fsync = await show('fsync');
      const syncCommit = await show('synchronous_commit');
      facts.push(
        `postgres: ${version} at ${new URL(testPostgresUrl).host} (fsync=${fsync}, synchronous_commit=${syncCommit})`,
      );
    } finally {
      await client.end();
    }
  }
  if (engines.includes('pglite')) {
    const manifest = JSON.parse(
      await readFile(
        new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url),
        'utf8',
      ),
    ) as { version: string };
    facts.push(`pglite: ${manifest.version} on disk in a temp dir (relaxedDurability=false)`);
  }
  return facts;
}

function latencyReport(results: readonly EngineResult[], options: Options): string[] {
  const lines: string[] = [];
  const rows = [['', 'n', 'p50', 'p95', 'p99', 'max', 'late', 'first 10% p50', 'last 10% p50']];
  for (const { engine, latency: l } of results) {
    if (l === undefined) continue;
    const row = (name: string, m: LatencySummary, late: string, first = '', last = '') => [
      `${engine} ${name}`,
      String(m.count),
      ms(m.p50),
      ms(m.p95),
      ms(m.p99),
      ms(m.max),
      late,
      first,
      last,
    ];
    rows.push(
      row(
        'webhook→placeholder',
        l.placeholder,
        String(l.late),
        ms(l.firstTenth.p50),
        ms(l.lastTenth.p50),
      ),
      row('webhook→200 (intake)', l.intake, String(l.errors)),
      row('baseline: forge note 201', l.forgeNote, '0'),
    );
  }
  lines.push(
    `Latency, ms, open loop at ${options.rate}/s (${options.deliveries} deliveries after ${options.warmup} warm-up; threads spread over ${options.issues} issue(s); "late" = not at the forge within the ${options.settleSeconds} s settle window):`,
    table(rows),
  );
  const cpuRows = [
    [
      'engine',
      'wall s',
      'Baton cpu s',
      'Baton cpu ms/mention',
      'Baton event loop busy',
      'loop delay p50/p99/max ms',
      'forge cpu s',
      'client cpu s',
      'of all cores',
    ],
  ];
  for (const { engine, latency: l } of results) {
    if (l === undefined) continue;
    const counts = Object.entries(l.statuses)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ');
    lines.push(
      `  [${engine}] deliveries when the window closed and the worker stopped: ${counts} (pending = stored backlog, not lost); start jobs still queued ${l.startsOpen}, runs queued ${l.runsQueued}; Baton processed one in p50 ${ms(l.processing.p50)} / p99 ${ms(l.processing.p99)} ms; insert p50 ${ms(l.insert.p50)} / p99 ${ms(l.insert.p99)} ms, outcome statement p50 ${ms(l.settle.p50)} / p99 ${ms(l.settle.p99)} ms; client schedule lag max ${ms(l.maxLagMs)} ms`,
    );
    const c = l.cpu;
    cpuRows.push([
      engine,
      c.wallSeconds.toFixed(1),
      c.baton.toFixed(1),
      ((c.baton * 1000) / Math.max(1, l.placeholder.count)).toFixed(1),
      `${(l.eventLoopBusy * 100).toFixed(0)}%`,
      `${ms(l.loopDelayMs.p50)} / ${ms(l.loopDelayMs.p99)} / ${ms(l.loopDelayMs.max)}`,
      c.forge.toFixed(1),
      c.client.toFixed(1),
      `${(((c.baton + c.forge + c.client) / (c.wallSeconds * cpus().length)) * 100).toFixed(0)}%`,
    ]);
  }
  lines.push(
    '',
    'CPU while measuring latency (send + settle window; Baton cpu includes the start jobs it ran):',
    table(cpuRows),
    '',
  );
  for (const { engine, latency: l } of results) {
    if (l === undefined) continue;
    const n = l.placeholder.count || 1;
    const rows2 = [
      [
        'Baton → forge call',
        'per mention',
        'mean ms',
        '',
        'forge route (server time)',
        'per mention',
        'mean ms',
      ],
    ];
    const calls = l.forgeCalls.slice(0, 8);
    const routes = l.forgeRoutes.slice(0, 8);
    for (let i = 0; i < Math.max(calls.length, routes.length); i += 1) {
      const c = calls[i];
      const f = routes[i];
      rows2.push([
        c?.[0] ?? '',
        c ? (c[1] / n).toFixed(2) : '',
        c ? ms(c[2] / c[1]) : '',
        '',
        f?.[0] ?? '',
        f ? (f[1] / n).toFixed(2) : '',
        f ? ms(f[2] / f[1]) : '',
      ]);
    }
    lines.push(
      `Where the time goes [${engine}] (wall time as Baton saw it vs as the forge served it):`,
      table(rows2),
      '',
    );
  }
  return lines;
}

function acceptReport(results: readonly EngineResult[], options: Options): string[] {
  const rows = [
    [
      'engine',
      'server',
      ...options.concurrency.map((c) => `c=${c}`),
      'best',
      `${options.accept} at best`,
      'server cpu ms/delivery',
    ],
  ];
  for (const r of results) {
    for (const [name, m] of [
      ['Baton (stored)', r.accept],
      ['bare Fastify', r.bare],
    ] as const) {
      if (m === undefined) continue;
      rows.push([
        r.engine,
        name,
        ...m.trials.map((t) => perSecond(t.perSecond)),
        `c=${m.best.concurrency}`,
        `${perSecond(m.best.perSecond)}/s`,
        m.cpuMsPerDelivery.toFixed(2),
      ]);
    }
  }
  return [
    `Durable accept rate, deliveries/s, closed loop (${options.trial} per trial, then ${options.accept} at the best concurrency; worker stopped; every 200 checked against the rows stored):`,
    table(rows),
    '',
  ];
}

function targetReport(results: readonly EngineResult[], options: Options): string[] {
  const rows = [['engine', 'figure', 'measured', 'target', 'verdict']];
  const ratios = [['engine', 'Baton accept / bare Fastify', 'Baton p50 / forge note p50']];
  for (const r of results) {
    const l = r.latency;
    if (l !== undefined) {
      const p99 = l.placeholder.p99;
      rows.push([
        r.engine,
        `p99 webhook→placeholder at ${options.rate}/s`,
        `${ms(p99)} ms`,
        `< ${targets.p99Ms} ms at ${targets.atPerSecond}/s`,
        options.rate !== targets.atPerSecond
          ? 'n/a (other rate)'
          : p99 < targets.p99Ms && l.late === 0
            ? 'PASS'
            : 'MISS',
      ]);
    }
    if (r.accept !== undefined) {
      const rate = r.accept.best.perSecond;
      rows.push(
        r.engine === 'postgres'
          ? [
              r.engine,
              'durable accepts/s',
              `${perSecond(rate)}/s`,
              `≥ ${targets.postgresAcceptPerSecond}/s`,
              rate >= targets.postgresAcceptPerSecond ? 'PASS' : 'MISS',
            ]
          : [r.engine, 'durable accepts/s', `${perSecond(rate)}/s`, '(none)', ''],
      );
    }
    ratios.push([
      r.engine,
      r.accept && r.bare ? ratio(r.accept.best.perSecond / r.bare.best.perSecond) : 'n/a',
      l ? ratio(l.placeholder.p50 / l.forgeNote.p50) : 'n/a',
    ]);
  }
  return ['Targets:', table(rows), '', 'Ratios against the same-run baselines:', table(ratios)];
}

/** Everything that means a delivery was lost or the pipeline broke; a slow figure is not one. */
function problems(results: readonly EngineResult[], options: Options): string[] {
  const found: string[] = [];
  for (const { engine, latency: l, accept } of results) {
    if (l !== undefined) {
      const sent = options.warmup + options.deliveries;
      const stored = Object.values(l.statuses).reduce((a, b) => a + b, 0);
      const done = l.statuses['done'] ?? 0;
      const failed = l.statuses['failed'] ?? 0;
      if (l.errors > 0) found.push(`${engine}: ${l.errors} deliveries not answered 200 accepted`);
      if (l.duplicates > 0) found.push(`${engine}: ${l.duplicates} duplicate placeholders`);
      if (stored !== sent) found.push(`${engine}: ${stored} deliveries stored for ${sent} sent`);
      if (failed > 0) found.push(`${engine}: ${failed} deliveries failed`);
      // Start jobs wait behind placeholders; those still queued when the worker stopped are a
      // backlog, not a loss.
      if (l.runsQueued + l.startsOpen !== done)
        found.push(
          `${engine}: ${l.runsQueued} runs queued and ${l.startsOpen} start jobs waiting for ${done} processed mentions`,
        );
    }
    if (accept !== undefined) {
      for (const m of [...accept.trials, accept.best])
        if (m.errors > 0) found.push(`${engine}: ${m.errors} accept-phase requests failed`);
      if (accept.rowsAdded !== accept.rowsExpected)
        found.push(
          `${engine}: ${accept.rowsExpected} deliveries answered accepted, ${accept.rowsAdded} rows stored`,
        );
    }
  }
  return found;
}

export async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const guard = setTimeout(() => {
    console.error('bench intake: gave up after 10 minutes');
    process.exit(1);
  }, 600_000);
  guard.unref();
  const facts = await machineFacts(options.engines);
  console.log('bench intake — webhook → placeholder latency and durable accept rate');
  for (const fact of facts) console.log(`  ${fact}`);
  const results: EngineResult[] = [];
  for (const engine of options.engines) results.push(await benchEngine(engine, options));
  console.log('');
  const lines = [
    ...latencyReport(results, options),
    ...acceptReport(results, options),
    ...targetReport(results, options),
  ];
  for (const line of lines) console.log(line);
  console.log(
    `\n  Baton: pool size ${results.map((r) => `${r.engine}=${r.poolSize}`).join(', ')}; worker concurrency ${options.workerConcurrency ?? 'default'}; log level ${options.logLevel} (to /dev/null)`,
  );
  console.log(
    `  load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  );
  const found = problems(results, options);
  for (const problem of found) console.error(`BROKEN: ${problem}`);
  return found.length > 0 ? 1 : 0;
}
