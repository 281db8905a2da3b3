/**
 * `npm run bench -- gateway`: what Baton's model gateway adds to a model call, side by side in
 * one run with calling the provider directly and with Portkey's open-source gateway: latency at
 * one keep-alive connection (JSON and streamed replies, Anthropic Messages and OpenAI Chat
 * Completions), a stream's first byte, and requests per second at 10 connections. Four
 * processes: this one (load, node:http keep-alive), the scripted provider, Baton, Portkey.
 */
import { cpus, loadavg } from 'node:os';
import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import { testPostgresUrl } from '../test/helpers/global-setup.ts';
import type { BatonHandlers, Engine } from './gateway/baton-process.ts';
import {
  ensurePortkey,
  portkeyVersion,
  startPortkey,
  type RunningPortkey,
} from './gateway/portkey.ts';
import type { ProviderHandlers } from './gateway/provider-process.ts';
import { timedRequest, type Target, type Timing } from './gateway/timed-request.ts';
import { intOption } from './support/bench-options.ts';
import { startChild, type Child } from './support/child-rpc.ts';
import { closedLoop } from './support/http-load.ts';
import { perSecond, ratio, summarize, table, type LatencySummary } from './support/stats.ts';

const targets = { addedP50Ms: 0.3, throughputVsPortkey: 2.5, streamFirstByteMs: 1 };

const keys = { anthropic: 'sk-ant-bench-upstream-key', openai: 'sk-openai-bench-upstream-key' };

type Path = 'direct' | 'floor' | 'baton' | 'portkey';
type Api = 'anthropic' | 'openai';
const apis: readonly Api[] = ['anthropic', 'openai'];
const apiLabel: Record<Api, string> = {
  anthropic: 'Anthropic Messages',
  openai: 'OpenAI Chat Completions',
};

interface Options {
  engine: Engine;
  requests: number;
  streams: number;
  warmup: number;
  seconds: number;
  connections: number;
  portkey: boolean;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      engine: { type: 'string', default: 'postgres' },
      requests: { type: 'string', default: '2000' },
      streams: { type: 'string', default: '400' },
      warmup: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      'no-portkey': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.engine !== 'postgres' && values.engine !== 'pglite')
    throw new Error('--engine must be postgres or pglite');
  return {
    engine: values.engine,
    requests: intOption('requests', values.requests, 10, 100_000),
    streams: intOption('streams', values.streams, 10, 20_000),
    warmup: intOption('warmup', values.warmup, 0, 10_000),
    seconds: intOption('seconds', values.seconds, 1, 120),
    connections: intOption('connections', values.connections, 1, 256),
    portkey: !values['no-portkey'],
  };
}

interface Endpoints {
  provider: string;
  floor: string;
  baton: string;
  batonToken: string;
  portkey: string | null;
}

function bodyOf(api: Api, stream: boolean): string {
  const messages = [{ role: 'user', content: 'Say hello.' }];
  return JSON.stringify(
    api === 'anthropic'
      ? { model: 'claude-sonnet-4-5', max_tokens: 64, messages, stream }
      : {
          model: 'gpt-5',
          messages,
          stream,
          ...(stream ? { stream_options: { include_usage: true } } : {}),
        },
  );
}

/** The same call by each path, with the headers that path needs. */
function targetFor(endpoints: Endpoints, path: Path, api: Api, stream: boolean): Target {
  const body = bodyOf(api, stream);
  const json = { 'content-type': 'application/json', 'content-length': String(body.length) };
  const route = api === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';
  const anthropicVersion = { 'anthropic-version': '2023-06-01' };
  if (path === 'direct' || path === 'floor') {
    const auth: Record<string, string> =
      api === 'anthropic'
        ? { 'x-api-key': keys.anthropic, ...anthropicVersion }
        : { authorization: `Bearer ${keys.openai}` };
    const base = path === 'direct' ? endpoints.provider : endpoints.floor;
    return { url: new URL(`${base}${route}`), headers: { ...json, ...auth }, body };
  }
  if (path === 'baton') {
    const auth: Record<string, string> =
      api === 'anthropic'
        ? { 'x-api-key': endpoints.batonToken, ...anthropicVersion }
        : { authorization: `Bearer ${endpoints.batonToken}` };
    const base = `${endpoints.baton}/gateway/${api}`;
    return { url: new URL(`${base}${route}`), headers: { ...json, ...auth }, body };
  }
  if (endpoints.portkey === null) throw new Error('Portkey is not running');
  const auth: Record<string, string> =
    api === 'anthropic'
      ? { 'x-api-key': keys.anthropic, ...anthropicVersion }
      : { authorization: `Bearer ${keys.openai}` };
  return {
    url: new URL(`${endpoints.portkey}${route}`),
    headers: {
      ...json,
      ...auth,
      'x-portkey-provider': api,
      'x-portkey-custom-host': `${endpoints.provider}/v1`,
    },
    body,
  };
}

/** Requests sent by each path, to check that Baton recorded every call. */
const sent: Record<Path, number> = { direct: 0, floor: 0, baton: 0, portkey: 0 };

class Failures {
  count = 0;
  readonly examples: string[] = [];
  check(label: string, timing: Timing): void {
    if (timing.status === 200 && timing.bytes > 0) return;
    this.count += 1;
    if (this.examples.length < 5) this.examples.push(`${label}: status ${timing.status}`);
  }
}

interface Sequential {
  total: Record<Path, LatencySummary>;
  firstByte: Record<Path, LatencySummary>;
}

/**
 * One keep-alive connection per path; the paths take turns in blocks of 50 so that drift in
 * the machine's load falls on all of them alike.
 */
async function sequential(
  endpoints: Endpoints,
  paths: readonly Path[],
  api: Api,
  stream: boolean,
  options: { count: number; warmup: number },
  failures: Failures,
): Promise<Sequential> {
  const agents = new Map(paths.map((p) => [p, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const total = new Map<Path, number[]>(paths.map((p) => [p, []]));
  const firstByte = new Map<Path, number[]>(paths.map((p) => [p, []]));
  const block = 50;
  try {
    for (const path of paths) {
      const target = targetFor(endpoints, path, api, stream);
      for (let i = 0; i < options.warmup; i += 1) {
        failures.check(`${path} warm-up`, await timedRequest(agents.get(path) as Agent, target));
        sent[path] += 1;
      }
    }
    for (let done = 0; done < options.count; done += block) {
      for (const path of paths) {
        const target = targetFor(endpoints, path, api, stream);
        const agent = agents.get(path) as Agent;
        for (let i = 0; i < Math.min(block, options.count - done); i += 1) {
          const timing = await timedRequest(agent, target);
          sent[path] += 1;
          failures.check(`${path} ${api}`, timing);
          total.get(path)?.push(timing.totalMs);
          firstByte.get(path)?.push(timing.firstByteMs);
        }
      }
    }
  } finally {
    for (const agent of agents.values()) agent.destroy();
  }
  const summaries = (samples: Map<Path, number[]>) =>
    Object.fromEntries(paths.map((p) => [p, summarize(samples.get(p) ?? [])])) as Record<
      Path,
      LatencySummary
    >;
  return { total: summaries(total), firstByte: summaries(firstByte) };
}

interface RateResult {
  perSecond: Record<Path, number>;
  /** CPU of Baton's process per request, µs, while it served the floor and the gateway. */
  batonCpuUs: { floor: number; baton: number };
}

/**
 * `connections` closed loops on keep-alive sockets per path, in one-second turns (the paths
 * alternate, so that a burst of load from elsewhere falls on all of them alike), after a warm-up.
 */
async function throughput(
  endpoints: Endpoints,
  paths: readonly Path[],
  api: Api,
  options: { connections: number; seconds: number },
  baton: Child<BatonHandlers>,
  failures: Failures,
): Promise<RateResult> {
  const agents = new Map(
    paths.map((p) => [
      p,
      new Agent({
        keepAlive: true,
        maxSockets: options.connections,
        maxFreeSockets: options.connections,
      }),
    ]),
  );
  const done = new Map<Path, { requests: number; ms: number; cpuUs: number }>(
    paths.map((p) => [p, { requests: 0, ms: 0, cpuUs: 0 }]),
  );
  const loop = (path: Path, maxMs: number) => {
    const agent = agents.get(path) as Agent;
    const target = targetFor(endpoints, path, api, false);
    return closedLoop({
      count: 1e9,
      concurrency: options.connections,
      maxMs,
      send: async () => {
        const timing = await timedRequest(agent, target);
        sent[path] += 1;
        failures.check(`${path} ×${options.connections}`, timing);
      },
    });
  };
  try {
    for (const path of paths) await loop(path, 500);
    for (let turn = 0; turn < options.seconds; turn += 1) {
      for (const path of paths) {
        const before = await baton.call('cpu');
        const run = await loop(path, 1000);
        const after = await baton.call('cpu');
        const total = done.get(path);
        if (total === undefined) continue;
        total.requests += run.started;
        total.ms += run.elapsedMs;
        total.cpuUs += after.user - before.user + after.system - before.system;
      }
    }
  } finally {
    for (const agent of agents.values()) agent.destroy();
  }
  const rate = (p: Path) => {
    const total = done.get(p);
    return total === undefined ? Number.NaN : (total.requests / total.ms) * 1000;
  };
  const cpu = (p: Path) => {
    const total = done.get(p);
    return total === undefined ? Number.NaN : total.cpuUs / Math.max(1, total.requests);
  };
  return {
    perSecond: Object.fromEntries(paths.map((p) => [p, rate(p)])) as Record<Path, number>,
    batonCpuUs: { floor: cpu('floor'), baton: cpu('baton') },
  };
}

const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

function latencyTable(
  title: string,
  paths: readonly Path[],
  rows: [Api, Sequential][],
  key: 'total' | 'firstByte',
) {
  const header = ['', 'path', 'p50', 'p99', 'added p50', 'added p99', 'p50 ÷ direct'];
  const body = rows.flatMap(([api, result]) => {
    const s = result[key];
    return paths.map((p, i) => [
      i === 0 ? apiLabel[api] : '',
      p,
      ms3(s[p].p50),
      ms3(s[p].p99),
      p === 'direct' ? '' : signed(s[p].p50 - s.direct.p50),
      p === 'direct' ? '' : signed(s[p].p99 - s.direct.p99),
      p === 'direct' ? '' : ratio(s[p].p50 / s.direct.p50),
    ]);
  });
  console.log(`\n${title} (ms)\n${table([header, ...body])}`);
}

const ms3 = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : 'n/a');

export async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const paths: Path[] = options.portkey
    ? ['direct', 'floor', 'baton', 'portkey']
    : ['direct', 'floor', 'baton'];
  console.log(
    `gateway bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
      `load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, Baton on ${options.engine}` +
      (options.portkey ? `, Portkey ${portkeyVersion}` : ''),
  );
  if (options.portkey)
    ensurePortkey((line) => {
      console.log(line);
    });

  const provider: Child<ProviderHandlers> = startChild(
    new URL('./gateway/provider-process.ts', import.meta.url),
  );
  const baton: Child<BatonHandlers> = startChild(
    new URL('./gateway/baton-process.ts', import.meta.url),
  );
  let portkey: RunningPortkey | null = null;
  const failures = new Failures();
  try {
    const { url: providerUrl } = await provider.call('start', { keys });
    const started = await baton.call('start', {
      engine: options.engine,
      postgresUrl: testPostgresUrl,
      upstreamUrl: providerUrl,
      keys,
    });
    portkey = options.portkey ? await startPortkey() : null;
    const endpoints: Endpoints = {
      provider: providerUrl,
      floor: started.floorUrl,
      baton: started.url,
      batonToken: started.token,
      portkey: portkey?.url ?? null,
    };

    const json: [Api, Sequential][] = [];
    const streamed: [Api, Sequential][] = [];
    for (const api of apis) {
      json.push([
        api,
        await sequential(
          endpoints,
          paths,
          api,
          false,
          { count: options.requests, warmup: options.warmup },
          failures,
        ),
      ]);
      streamed.push([
        api,
        await sequential(
          endpoints,
          paths,
          api,
          true,
          { count: options.streams, warmup: Math.min(options.warmup, 100) },
          failures,
        ),
      ]);
    }
    await provider.call('requestCount');

    const rates = {} as Record<Api, RateResult>;
    for (const api of apis) {
      rates[api] = await throughput(endpoints, paths, api, options, baton, failures);
      await provider.call('requestCount');
    }
    const records = await baton.call('records');
    if (records !== sent.baton) {
      failures.count += 1;
      failures.examples.push(`Baton recorded ${records} calls of ${sent.baton}`);
    }

    latencyTable(
      'Non-streaming, one keep-alive connection: request → last byte',
      paths,
      json,
      'total',
    );
    latencyTable(
      'Streaming, one keep-alive connection: request → last byte',
      paths,
      streamed,
      'total',
    );
    latencyTable(
      'Streaming, one keep-alive connection: request → first body byte',
      paths,
      streamed,
      'firstByte',
    );
    const rateRows = apis.map((api) => {
      const r = rates[api].perSecond;
      return [
        apiLabel[api],
        ...paths.map((p) => perSecond(r[p])),
        ratio(r.baton / r.direct),
        options.portkey ? ratio(r.baton / r.portkey) : 'n/a',
      ];
    });
    console.log(
      `\nRequests/s at ${options.connections} keep-alive connections, non-streaming, ${options.seconds} one-second turns each\n` +
        table([['', ...paths, 'baton ÷ direct', 'baton ÷ portkey'], ...rateRows]),
    );
    const cpuOf = (path: 'floor' | 'baton') =>
      apis.map((api) => `${rates[api].batonCpuUs[path].toFixed(0)} µs`).join(' / ');
    console.log(
      `\nCPU of Baton's process per request in the rate runs (Anthropic / OpenAI): gateway ${cpuOf('baton')}, floor proxy ${cpuOf('floor')}` +
        `\nCall records written: ${records.toLocaleString('en-US')} of ${sent.baton.toLocaleString('en-US')} calls through the gateway`,
    );

    console.log('\nTargets');
    for (const [api, result] of json) {
      const added = result.total.baton.p50 - result.total.direct.p50;
      console.log(
        `  ${apiLabel[api]}, non-streaming: added p50 ${added.toFixed(3)} ms < ${targets.addedP50Ms} ms — ${pass(added < targets.addedP50Ms)}`,
      );
    }
    for (const [api, result] of streamed) {
      const added = result.total.baton.p50 - result.total.direct.p50;
      const first = result.firstByte.baton.p50 - result.firstByte.direct.p50;
      console.log(
        `  ${apiLabel[api]}, streaming: added p50 ${added.toFixed(3)} ms < ${targets.addedP50Ms} ms — ${pass(added < targets.addedP50Ms)}`,
      );
      console.log(
        `  ${apiLabel[api]}, streaming: first byte p50 ${signed(first)} ms vs direct, within ${targets.streamFirstByteMs} ms — ${pass(first <= targets.streamFirstByteMs)}`,
      );
    }
    if (options.portkey) {
      for (const api of apis) {
        const r = rates[api].perSecond.baton / rates[api].perSecond.portkey;
        console.log(
          `  ${apiLabel[api]}: ${ratio(r)} Portkey's requests/s, ≥ ${targets.throughputVsPortkey}× — ${pass(r >= targets.throughputVsPortkey)}`,
        );
      }
    }
    if (failures.count > 0) {
      console.error(
        `\n${failures.count} requests failed, e.g.:\n  ${failures.examples.join('\n  ')}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await portkey?.stop();
    await baton.call('stop').catch((error: unknown) => {
      console.error('could not stop Baton cleanly', error);
    });
    await provider.call('stop').catch(() => undefined);
    await baton.stop();
    await provider.stop();
  }
}
