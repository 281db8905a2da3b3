import { chmod, mkdir, mkdtemp, writeFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../logging/logger.ts';
import type { ResolveHost } from '../network-policy-proxy.ts';
import type { SandboxLimits, SandboxProcess, SandboxResult, SandboxSpec } from '../sandbox.ts';
import { BubblewrapSandbox } from './bubblewrap-sandbox.ts';
import { detectCgroupLayout, systemCgroupSources } from './cgroup-layout.ts';

/** Outside /tmp on purpose: the sandbox's private /tmp would hide it even without masks. */
const testBase = '/var/lib/baton-sandbox-tests';

export const smallLimits: SandboxLimits = {
  memoryBytes: 128 * 1024 ** 2,
  pids: 64,
  cpuPercent: 100,
  wallMs: 10_000,
  outputBytes: 256 * 1024,
};

export interface SandboxTestKit {
  root: string;
  runsRoot: string;
  dataDir: string;
  sandbox: BubblewrapSandbox;
  logLines: string[];
  /** A fresh workspace under the runs root for a run id. */
  workspace(runId: string): Promise<string>;
  spec(runId: string, command: string[], extra?: Partial<SandboxSpec>): Promise<SandboxSpec>;
  cleanUp(): Promise<void>;
}

export function capturingLogger(lines: string[]): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return createLogger({ level: 'info', destination });
}

/**
 * Builds a bubblewrap sandbox over a throw-away Baton layout (data dir + runs root). Each test file
 * passes its own uid base, because vitest runs files in separate processes with separate pools.
 */
export async function createSandboxTestKit(
  uidBase: number,
  resolveHost?: ResolveHost,
): Promise<SandboxTestKit> {
  await mkdir(testBase, { recursive: true, mode: 0o711 });
  const root = await mkdtemp(join(testBase, 'kit-'));
  await chmod(root, 0o711);
  const runsRoot = join(root, 'runs');
  const dataDir = join(root, 'data');
  await mkdir(runsRoot, { mode: 0o711 });
  await mkdir(dataDir, { mode: 0o755 });
  // Baton's configuration file, world-readable as an admin might leave it.
  await writeFile(join(root, 'baton.yaml'), 'gateway:\n  apiKey: sk-config-secret\n', {
    mode: 0o644,
  });
  const logLines: string[] = [];
  const sandbox = new BubblewrapSandbox({
    runsRoot,
    maskPaths: [dataDir, join(root, 'baton.yaml')],
    logger: capturingLogger(logLines),
    uidBase,
    uidCount: 100,
    ...(resolveHost === undefined ? {} : { resolveHost }),
  });
  const workspace = async (runId: string): Promise<string> => {
    const dir = join(runsRoot, runId, 'workspace');
    await mkdir(dir, { recursive: true });
    return dir;
  };
  return {
    root,
    runsRoot,
    dataDir,
    sandbox,
    logLines,
    workspace,
    spec: async (runId, command, extra = {}) => ({
      runId,
      workspaceDir: await workspace(runId),
      command,
      env: {},
      limits: smallLimits,
      forwards: [],
      network: null,
      ...extra,
    }),
    cleanUp: () => rm(root, { recursive: true, force: true }),
  };
}

/** Fails the suite loudly when the sandbox cannot run here: under CI=true a skip would hide a missing install step. */
export async function requireWorkingSandbox(sandbox: BubblewrapSandbox): Promise<void> {
  const probe = await sandbox.probe();
  if (!probe.ok)
    throw new Error(`bubblewrap sandbox unusable here: ${probe.reason}\nfix: ${probe.fix}`);
}

export async function runToEnd(
  run: SandboxProcess,
): Promise<{ text: string; bytes: number; end: SandboxResult }> {
  const chunks: Buffer[] = [];
  for await (const { chunk } of run.output) chunks.push(chunk);
  const end = await run.ended;
  const all = Buffer.concat(chunks);
  return { text: all.toString('utf8'), bytes: all.length, end };
}

/** Names of cgroups left behind for a run, in every hierarchy this host has. */
export async function leftoverCgroups(runId: string): Promise<string[]> {
  const layout = detectCgroupLayout(systemCgroupSources());
  if (typeof layout === 'string') throw new Error(layout);
  const hierarchies =
    layout.kind === 'v2'
      ? [layout.parent]
      : [layout.memory, layout.pids, layout.cpu, layout.unified];
  const found: string[] = [];
  for (const hierarchy of hierarchies) {
    if (hierarchy === undefined) continue;
    const names = await readdir(hierarchy).catch(() => [] as string[]);
    for (const name of names)
      if (name.startsWith(`baton-run-${runId}-`)) found.push(join(hierarchy, name));
  }
  return found;
}

/** Live (non-zombie) processes on the host owned by a uid; a zombie has already left its cgroup. */
export async function processesOfUid(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const match = /^Uid:\s+(\d+)/m.exec(status);
    const zombie = /^State:\s+[ZX]/m.test(status);
    if (match !== null && Number(match[1]) === uid && !zombie) pids.push(Number(entry));
  }
  return pids;
}
