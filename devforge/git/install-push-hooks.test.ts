import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installPushHooks, pushHookEnv, type PushHooks } from './install-push-hooks.ts';

let hooks: PushHooks;
let dir: string;

beforeEach(async () => {
  hooks = await installPushHooks();
  dir = await mkdtemp(join(tmpdir(), 'devforge-hook-test-'));
});

afterEach(async () => {
  await hooks.dispose();
  await rm(dir, { recursive: true, force: true });
});

function runHook(name: string, input: string, env: Record<string, string>) {
  const hookDir = hooks.env.GIT_CONFIG_VALUE_0 ?? '';
  return new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const child = spawn(join(hookDir, name), [], { env: { PATH: process.env.PATH, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stderr });
    });
    child.stdin.end(input);
  });
}

const line = (ref: string) => `${'a'.repeat(40)} ${'b'.repeat(40)} ${ref}\n`;

describe('push hooks', () => {
  it('pre-receive refuses every ref when run without the forge’s allow-list', async () => {
    const result = await runHook('pre-receive', line('refs/heads/feature'), {});
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'GitLab: You are not allowed to push code to protected branches on this project.\n',
    );
  });

  it('pre-receive accepts only refs that are listed exactly', async () => {
    const allowed = join(dir, 'allowed');
    await writeFile(allowed, 'refs/heads/feature\n-e\n');
    const env = { [pushHookEnv.allowedRefs]: allowed };
    expect((await runHook('pre-receive', line('refs/heads/feature'), env)).code).toBe(0);
    expect((await runHook('pre-receive', line('refs/heads/feat'), env)).code).toBe(1);
    expect(
      (await runHook('pre-receive', line('refs/heads/feature') + line('refs/heads/main'), env))
        .code,
    ).toBe(1);
    expect((await runHook('pre-receive', line('refs/heads/.*'), env)).code).toBe(1);
  });
});
