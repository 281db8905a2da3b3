import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const baton = fileURLToPath(new URL('../../bin/baton.mjs', import.meta.url));

async function cli(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'baton-cli-'));
  const childEnv = { PATH: process.env.PATH ?? '', HOME: cwd, BATON_LOG_LEVEL: 'silent', ...env };
  try {
    const { stdout, stderr } = await run(baton, args, { cwd, env: childEnv });
    return { code: 0, stdout, stderr, cwd };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, cwd };
  }
}

describe('baton CLI', () => {
  it('migrates the embedded database and reports its status', async () => {
    const first = await cli(['migrate']);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('Applied: 0001-initial');
    expect(first.code).toBe(0);
  });

  it('stops with the bad key named when the configuration is invalid', async () => {
    const result = await cli(['migrate'], { BATON_PORT: 'http' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server.port (from BATON_PORT)');
    expect(result.stderr).toContain('[CONFIG_INVALID]');
  });

  it('lists the built-in flow templates, and names them when asked for an unknown one', async () => {
    const list = await cli(['flow', 'templates']);
    expect(list.code).toBe(0);
    for (const name of ['claude-code', 'codex', 'opencode', 'gemini-cli', 'amazon-q'])
      expect(list.stdout).toContain(name);
    const unknown = await cli(['flow', 'templates', 'cursor']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No template named cursor; there are: claude-code');
  });

  it('validates a flow file and points at the bad line', async () => {
    const { cwd } = await cli(['version']);
    writeFileSync(path.join(cwd, 'good.yaml'), 'image: node:22-slim\ncommands:\n  - echo hi\n');
    writeFileSync(path.join(cwd, 'bad.yaml'), 'image: node:22-slim\ncommands: echo hi\n');
    const good = await cli(['flow', 'validate', path.join(cwd, 'good.yaml')]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('valid GitLab-format flow');
    const bad = await cli(['flow', 'validate', path.join(cwd, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('value at `/commands` is not an array');
    expect(bad.stderr).toContain('bad.yaml:2:');
  });

  it('rejects an unknown command with usage and exit code 2', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown command: frobnicate');
    expect(result.stderr).toContain('Usage: baton');
  });
});
