import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger, runToEnd, smallLimits } from './bubblewrap/sandbox-test-kit.ts';
import { assertSandboxWorks, createSandbox } from './create-sandbox.ts';
import type { Sandbox } from './sandbox.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function unsafe(lines: string[] = []): Promise<{ sandbox: Sandbox; workspaceDir: string }> {
  const workspaceDir = await mkdtemp(join(tmpdir(), 'baton-unsafe-'));
  dirs.push(workspaceDir);
  const sandbox = createSandbox({
    kind: 'unsafe',
    runsRoot: workspaceDir,
    maskPaths: [],
    logger: capturingLogger(lines),
  });
  return { sandbox, workspaceDir };
}

describe('unsafe sandbox (development only)', () => {
  it('logs a loud warning when constructed', async () => {
    const lines: string[] = [];
    await unsafe(lines);
    expect(lines.join('')).toContain('UNSAFE SANDBOX');
  });

  it('still clears the environment, and enforces the wall-clock limit on the whole process group', async () => {
    const { sandbox, workspaceDir } = await unsafe();
    process.env['BATON_TEST_SERVER_SECRET'] = 'must-not-leak';
    const envRun = await sandbox.start({
      runId: 'u1',
      workspaceDir,
      command: ['/usr/bin/env'],
      env: { A: '1' },
      limits: smallLimits,
      forwards: [],
      network: null,
    });
    delete process.env['BATON_TEST_SERVER_SECRET'];
    const { text } = await runToEnd(envRun);
    expect(text).not.toContain('must-not-leak');
    expect(text).toContain('A=1');
    const slow = await sandbox.start({
      runId: 'u2',
      workspaceDir,
      command: ['/bin/sh', '-c', 'sleep 30 & sleep 30'],
      env: {},
      limits: { ...smallLimits, wallMs: 300 },
      forwards: [],
      network: null,
    });
    expect((await runToEnd(slow)).end.reason).toBe('timeout');
  });

  it('caps output', async () => {
    const { sandbox, workspaceDir } = await unsafe();
    const run = await sandbox.start({
      runId: 'u3',
      workspaceDir,
      command: ['/usr/bin/yes'],
      env: {},
      limits: { ...smallLimits, outputBytes: 5000 },
      forwards: [],
      network: null,
    });
    const { end, bytes } = await runToEnd(run);
    expect(end.reason).toBe('output_limit');
    expect(bytes).toBe(5000);
  });
});

describe('start-up probe', () => {
  it('refuses with the reason and the exact fix when the sandbox does not work', async () => {
    const broken: Sandbox = {
      name: 'bubblewrap',
      probe: () =>
        Promise.resolve({
          ok: false,
          reason: '/usr/bin/bwrap is missing',
          fix: 'apt-get install -y bubblewrap socat',
        }),
      start: () => Promise.reject(new Error('unused')),
    };
    await expect(assertSandboxWorks(broken, capturingLogger([]))).rejects.toMatchObject({
      code: 'DEPENDENCY_MISSING',
      message: expect.stringContaining('apt-get install -y bubblewrap socat') as unknown,
    });
  });
});
