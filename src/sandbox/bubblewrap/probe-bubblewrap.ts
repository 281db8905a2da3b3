import { constants } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox, SandboxProbe } from '../sandbox.ts';
import { sandboxTools } from './build-sandbox-argv.ts';
import type { CgroupLayout } from './cgroup-layout.ts';
import { untraversableAncestor } from './run-directory.ts';

const installFix = 'apt-get install -y bubblewrap socat util-linux';

async function missingTool(): Promise<string | undefined> {
  for (const tool of Object.values(sandboxTools)) {
    if (
      !(await access(tool, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return tool;
  }
  return undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Collects a run's output as text, for the probe's error message. */
async function collect(output: AsyncIterable<{ chunk: Buffer }>): Promise<string> {
  let text = '';
  for await (const { chunk } of output) text += chunk.toString('utf8');
  return text.trim();
}

/**
 * Checks that a sandbox can really be started: the tools exist, Baton may switch uids and write
 * cgroups, the runs root is reachable by run uids, and a real `true` runs inside bwrap and exits 0.
 * Every refusal carries the exact fix, because runs are refused rather than run unsandboxed.
 */
export async function probeBubblewrap(
  sandbox: Sandbox,
  runsRoot: string,
  layout: () => Promise<CgroupLayout>,
): Promise<SandboxProbe> {
  const tool = await missingTool();
  if (tool !== undefined) return { ok: false, reason: `${tool} is missing`, fix: installFix };
  if (process.getuid?.() !== 0) {
    return {
      ok: false,
      reason: 'Baton is not running as root, so it cannot give each run its own uid and cgroup',
      fix: 'run Baton as root (the container or VM user), or use a host that delegates cgroups and allows setuid to the run uid pool',
    };
  }
  try {
    await layout();
  } catch (error) {
    return {
      ok: false,
      reason: message(error),
      fix: 'mount cgroup v2 with memory, pids and cpu delegated to Baton (systemd: Delegate=yes), or cgroup v1 memory, pids and cpu hierarchies writable by Baton',
    };
  }
  await mkdir(runsRoot, { recursive: true });
  const blocked = await untraversableAncestor(join(runsRoot, 'x'), -1);
  if (blocked !== undefined) {
    return {
      ok: false,
      reason: `run uids cannot traverse ${blocked}`,
      fix: `chmod o+x ${blocked}`,
    };
  }
  return runProbe(sandbox, runsRoot);
}

async function runProbe(sandbox: Sandbox, runsRoot: string): Promise<SandboxProbe> {
  const runId = `probe-${randomBytes(4).toString('hex')}`;
  const workspaceDir = join(runsRoot, runId, 'workspace');
  try {
    await mkdir(workspaceDir, { recursive: true });
    const run = await sandbox.start({
      runId,
      workspaceDir,
      command: ['/bin/sh', '-c', 'exit 0'],
      env: {},
      limits: {
        memoryBytes: 64 * 1024 ** 2,
        pids: 16,
        cpuPercent: 100,
        wallMs: 10_000,
        outputBytes: 64 * 1024,
      },
      forwards: [],
      network: null,
    });
    const [output, end] = await Promise.all([collect(run.output), run.ended]);
    if (end.reason === 'exited' && end.code === 0) return { ok: true };
    return {
      ok: false,
      reason: `a test sandbox did not start (${end.reason}${end.reason === 'exited' ? ` ${end.code}` : ''}): ${output}`,
      fix: 'allow unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1 (Ubuntu: kernel.apparmor_restrict_unprivileged_userns=0)',
    };
  } catch (error) {
    return {
      ok: false,
      reason: `a test sandbox could not be set up: ${message(error)}`,
      fix: installFix,
    };
  } finally {
    await rm(join(runsRoot, runId), { recursive: true, force: true });
  }
}
