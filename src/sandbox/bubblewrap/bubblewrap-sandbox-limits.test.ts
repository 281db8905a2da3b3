import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxTestKit,
  leftoverCgroups,
  processesOfUid,
  requireWorkingSandbox,
  runToEnd,
  smallLimits,
  type SandboxTestKit,
} from './sandbox-test-kit.ts';

let kit: SandboxTestKit;

async function runUid(workspaceDir: string): Promise<number> {
  return Number(await readFile(join(workspaceDir, 'uid'), 'utf8'));
}

beforeAll(async () => {
  kit = await createSandboxTestKit(210_000);
  await requireWorkingSandbox(kit.sandbox);
});

afterAll(async () => {
  await kit.cleanUp();
});

describe('bubblewrap sandbox limits', () => {
  it('contains a fork bomb with pids.max', async () => {
    const spec = await kit.spec(
      'fork-bomb',
      ['/bin/sh', '-c', 'id -u > uid; bomb() { bomb | bomb & }; bomb; wait'],
      {
        limits: {
          ...smallLimits,
          pids: 32,
          cpuPercent: 50,
          wallMs: 10_000,
          outputBytes: 64 * 1024,
        },
      },
    );
    const { end, text } = await runToEnd(await kit.sandbox.start(spec));
    // dash gives up once a fork fails, so the bomb collapses well before the wall-clock limit,
    // which is long only so that a loaded machine still lets it reach pids.max.
    expect(end.pidsLimitHits).toBeGreaterThan(0);
    expect(text).toContain('Cannot fork');
    expect(await processesOfUid(await runUid(spec.workspaceDir))).toEqual([]);
    expect(await leftoverCgroups('fork-bomb')).toEqual([]);
  });

  it('ends a memory hog as memory when the cgroup limit is reached', async () => {
    const spec = await kit.spec('memory-hog', ['/usr/bin/tail', '/dev/zero'], {
      limits: { ...smallLimits, memoryBytes: 48 * 1024 ** 2 },
    });
    const { end } = await runToEnd(await kit.sandbox.start(spec));
    expect(end.reason).toBe('memory');
    expect(end.memoryPeakBytes).toBeGreaterThan(40 * 1024 ** 2);
  });

  it('kills a run past its wall-clock limit, detached children included, and leaves no cgroup', async () => {
    const spec = await kit.spec(
      'sleeper',
      ['/bin/sh', '-c', 'id -u > uid; setsid sleep 60 & sleep 30'],
      {
        limits: { ...smallLimits, wallMs: 500 },
      },
    );
    const { end } = await runToEnd(await kit.sandbox.start(spec));
    expect(end.reason).toBe('timeout');
    expect(end.durationMs).toBeLessThan(5000);
    const uid = await runUid(spec.workspaceDir);
    expect(uid).toBeGreaterThanOrEqual(210_000);
    expect(await processesOfUid(uid)).toEqual([]);
    expect(await leftoverCgroups('sleeper')).toEqual([]);
  });

  it('stops a flood of output at the output cap', async () => {
    const spec = await kit.spec('flood', ['/usr/bin/yes'], {
      limits: { ...smallLimits, outputBytes: 100_000 },
    });
    const { end, bytes } = await runToEnd(await kit.sandbox.start(spec));
    expect(end.reason).toBe('output_limit');
    expect(bytes).toBe(100_000);
    expect(await leftoverCgroups('flood')).toEqual([]);
  });

  it('cancels a run: every process is gone and the cgroup removed', async () => {
    const spec = await kit.spec('cancelled', [
      '/bin/sh',
      '-c',
      'setsid sleep 60 & echo started; sleep 60',
    ]);
    const run = await kit.sandbox.start(spec);
    for await (const { chunk } of run.output) {
      if (chunk.toString().includes('started')) break;
    }
    await run.cancel();
    const end = await run.ended;
    expect(end.reason).toBe('cancelled');
    expect(await leftoverCgroups('cancelled')).toEqual([]);
  });

  it('reports the exit code of a command that fails', async () => {
    const spec = await kit.spec('exit-3', ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']);
    const { end, text } = await runToEnd(await kit.sandbox.start(spec));
    expect(end).toMatchObject({ reason: 'exited', code: 3 });
    expect(text).toContain('out');
    expect(text).toContain('err');
  });
});
