import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseLines,
  readFixtureLines,
  runLaunchDirectly,
  sampleLaunchInput,
} from '../../../test/helpers/agent-tools.ts';
import { CustomOutputParser } from './custom-output-parser.ts';
import { customProfile } from './custom-profile.ts';

const input = (commands: string[], overrides: Parameters<typeof sampleLaunchInput>[0] = {}) =>
  sampleLaunchInput({ commands, ...overrides });

const temporary: string[] = [];
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'custom-agent-'));
  temporary.push(dir);
  return dir;
}

describe('custom agent launch', () => {
  it('runs the commands as one bash script that stops at the first failure', () => {
    expect(customProfile.launch(input(['echo one', 'echo two'])).command).toEqual([
      'bash',
      '-c',
      'set -eo pipefail\necho one\necho two',
    ]);
  });

  it("exposes the gateway under GitLab's names and Baton's base URLs", () => {
    expect(customProfile.launch(input(['true'])).env).toEqual({
      AI_FLOW_AI_GATEWAY_TOKEN: 'baton-run-token-42',
      AI_FLOW_AI_GATEWAY_HEADERS: 'X-Baton-Run: run-42',
      BATON_GATEWAY_ANTHROPIC_URL: 'http://127.0.0.1:7001/gateway/anthropic',
      BATON_GATEWAY_OPENAI_URL: 'http://127.0.0.1:7001/gateway/openai/v1',
      BATON_GATEWAY_GOOGLE_URL: 'http://127.0.0.1:7001/gateway/google',
      NO_PROXY: '127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
    });
  });

  it('refuses to start without commands', () => {
    expect(() => customProfile.launch(input([]))).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }) as Error,
    );
    expect(() => customProfile.launch(sampleLaunchInput())).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }) as Error,
    );
  });

  it('answers with the last block of output when the commands succeed (real bash)', async () => {
    const dir = await tempDir();
    const launch = customProfile.launch(
      input([
        'echo "working in $PWD"',
        'printf "%s\\n" "$AI_FLOW_AI_GATEWAY_HEADERS"',
        'echo',
        'echo "token length ${#AI_FLOW_AI_GATEWAY_TOKEN}"',
        'echo "answer line 2"',
        'echo',
      ]),
    );
    const run = await runLaunchDirectly({
      launch,
      parser: customProfile.parser(),
      cwd: dir,
      homeDir: dir,
      timeoutMs: 20_000,
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdoutLines).toContain('X-Baton-Run: run-42');
    expect(run.events).toEqual([
      { type: 'final', text: 'token length 18\nanswer line 2', isError: false },
    ]);
  });

  it('stops at the first failing command, including inside a pipe (real bash)', async () => {
    const dir = await tempDir();
    const launch = customProfile.launch(
      input(['echo before', 'false | cat', 'echo never printed']),
    );
    const run = await runLaunchDirectly({
      launch,
      parser: customProfile.parser(),
      cwd: dir,
      homeDir: dir,
      timeoutMs: 20_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdoutLines).toEqual(['before']);
    expect(run.events).toEqual([
      { type: 'error', message: "The flow's commands exited with code 1", fatal: true },
      { type: 'final', text: 'before', isError: true },
    ]);
  });
});

describe('custom output parser', () => {
  it('takes the last non-empty block, without terminal codes', () => {
    const events = parseLines(
      new CustomOutputParser(),
      ['log 1', 'log 2', '   ', '\u001b[1mResult\u001b[0m', 'all good', '', ''],
      0,
    );
    expect(events).toEqual([{ type: 'final', text: 'Result\nall good', isError: false }]);
  });

  it('answers with an empty text when nothing was printed', () => {
    expect(parseLines(new CustomOutputParser(), [], 0)).toEqual([
      { type: 'final', text: '', isError: false },
    ]);
  });
});

describe('custom output parser on a recorded-style script output', () => {
  it('answers with the closing summary block', async () => {
    const lines = await readFixtureLines(
      new URL('./__fixtures__/commands-output.txt', import.meta.url),
      { keepBlankLines: true },
    );
    expect(parseLines(new CustomOutputParser(), lines, 0)).toEqual([
      {
        type: 'final',
        text: 'Summary: fixed the failing test in src/app.ts\nChanged files: src/app.ts',
        isError: false,
      },
    ]);
  });
});
