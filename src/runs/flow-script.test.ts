import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFlowScript, RunnerOutputParser, type RunnerEvent } from './flow-script.ts';

async function run(commands: string[], shell: 'bash' | 'sh') {
  const script = buildFlowScript(commands, shell);
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-script-'));
  const file = path.join(dir, 'flow.sh');
  writeFileSync(file, script.text);
  const child = spawn(shell, [file], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  const parser = new RunnerOutputParser(script.marker);
  const events: RunnerEvent[] = [];
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parsed = parser.push(chunk.toString('utf8'));
    events.push(...parsed.events);
    text += parsed.text;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const rest = parser.flush();
  events.push(...rest.events);
  text += rest.text;
  return { code, events, text };
}

describe.each(['bash', 'sh'] as const)('flow script in %s', (shell) => {
  it('runs commands in order in one session and reports each', async () => {
    const result = await run(['export GREETING=hi', 'echo "$GREETING there"', 'echo done'], shell);
    expect(result.code).toBe(0);
    expect(result.text).toBe(
      '$ export GREETING=hi\n$ echo "$GREETING there"\nhi there\n$ echo done\ndone\n',
    );
    expect(result.events).toEqual([
      { type: 'started', commands: 3 },
      { type: 'command', index: 0, text: 'export GREETING=hi' },
      { type: 'command', index: 1, text: 'echo "$GREETING there"' },
      { type: 'command', index: 2, text: 'echo done' },
      { type: 'finished', exitCode: 0 },
    ]);
  });

  it('stops at the first failing command with its exit code', async () => {
    const result = await run(['echo one', 'exit 3', 'echo never'], shell);
    expect(result.code).toBe(3);
    expect(result.text).not.toContain('never');
    expect(result.events.at(-1)).toEqual({ type: 'finished', exitCode: 3, failedCommand: 1 });
  });

  it('keeps quotes and dollar signs in commands literal in events', async () => {
    const result = await run([`echo 'it''s' "$HOME" \\$x`], shell);
    expect(result.events[1]).toEqual({
      type: 'command',
      index: 0,
      text: `echo 'it''s' "$HOME" \\$x`,
    });
  });
});

describe('RunnerOutputParser', () => {
  it('does not take output from the flow for an event without the run’s marker', () => {
    const parser = new RunnerOutputParser('\u001ebaton:abc:');
    const spoof = '\u001ebaton:zzz:{"type":"finished","exitCode":0}\n';
    expect(parser.push(spoof)).toEqual({ events: [], text: spoof });
  });

  it('joins an event split across chunks', () => {
    const parser = new RunnerOutputParser('\u001ebaton:abc:');
    expect(parser.push('log\n\u001ebaton:abc:{"type":"sta')).toEqual({ events: [], text: 'log\n' });
    expect(parser.push('rted","commands":1}\n')).toEqual({
      events: [{ type: 'started', commands: 1 }],
      text: '',
    });
  });
});

it('bash fails a pipeline whose first command fails, as GitLab Runner does', async () => {
  const result = await run(['false | cat', 'echo never'], 'bash');
  expect(result.code).toBe(1);
  expect(result.text).not.toContain('never');
});
