import { describe, expect, it } from 'vitest';
import { parseLines, readFixtureLines } from '../../../test/helpers/agent-tools.ts';
import { CodexOutputParser } from './codex-output-parser.ts';

const fixture = (name: string) =>
  readFixtureLines(new URL(`./__fixtures__/${name}`, import.meta.url));

describe('Codex exec --json parser', () => {
  it('follows a run that patches a file: one tool call, the change, usage, final answer', async () => {
    const events = parseLines(new CodexOutputParser(), await fixture('write-hello.jsonl'), 0);
    expect(events).toEqual([
      { type: 'tool_call', tool: 'apply_patch', summary: '/repo/hello.txt' },
      { type: 'file_change', path: '/repo/hello.txt', kind: 'add' },
      { type: 'message', text: 'done' },
      { type: 'usage', inputTokens: 24, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { type: 'final', text: 'done', isError: false },
    ]);
  });

  it('reports commands with exit codes, failed patches and warnings without ending the run', async () => {
    const events = parseLines(new CodexOutputParser(), await fixture('shell-command.jsonl'), 0);
    expect(events.filter((event) => event.type === 'tool_call')).toEqual([
      {
        type: 'tool_call',
        tool: 'shell',
        summary: `/bin/bash -lc "printf '%s' 'hi from agent' > hello.txt && ls"`,
      },
      { type: 'tool_call', tool: 'shell', summary: `/bin/bash -lc 'npm test'` },
      { type: 'tool_call', tool: 'apply_patch', summary: '/repo/old.txt, /repo/README.md' },
    ]);
    expect(events.filter((event) => event.type === 'command')).toEqual([
      {
        type: 'command',
        command: `/bin/bash -lc "printf '%s' 'hi from agent' > hello.txt && ls"`,
        exitCode: 0,
      },
      { type: 'command', command: `/bin/bash -lc 'npm test'`, exitCode: 1 },
    ]);
    expect(events.filter((event) => event.type === 'file_change')).toEqual([]);
    expect(events.filter((event) => event.type === 'error')).toEqual([
      {
        type: 'error',
        message: expect.stringContaining('Model metadata for `gpt-fake` not found') as string,
        fatal: false,
      },
      {
        type: 'error',
        message: 'apply_patch failed: /repo/old.txt, /repo/README.md',
        fatal: false,
      },
    ]);
    expect(events).toContainEqual({
      type: 'usage',
      inputTokens: 200,
      outputTokens: 20,
      cacheReadTokens: 1000,
      cacheWriteTokens: 0,
    });
    expect(events.at(-1)).toEqual({ type: 'final', text: 'done', isError: false });
  });

  it('ends a turn.failed run as a fatal error whose text says why', async () => {
    const events = parseLines(new CodexOutputParser(), await fixture('turn-failed.jsonl'), 1);
    expect(events.map((event) => event.type)).toEqual(['error', 'error', 'error', 'final']);
    expect(events[2]).toMatchObject({ type: 'error', fatal: true });
    expect(events.at(-1)).toEqual({
      type: 'final',
      text: 'unexpected status 401 Unauthorized: invalid token, url: http://127.0.0.1:8787/v1/responses',
      isError: true,
    });
  });

  it('fails a completed turn that gave no answer', () => {
    const events = parseLines(
      new CodexOutputParser(),
      [
        '{"type":"turn.started"}',
        '{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}',
      ],
      0,
    );
    expect(events.slice(-2)).toEqual([
      { type: 'error', message: 'Codex finished without an answer', fatal: true },
      { type: 'final', text: 'Codex finished without an answer', isError: true },
    ]);
  });

  it('fails a run that was cut off mid-turn', () => {
    const events = parseLines(
      new CodexOutputParser(),
      ['{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"half"}}'],
      null,
    );
    expect(events.slice(-2)).toEqual([
      {
        type: 'error',
        message: 'Codex ended before its turn finished (exit code none)',
        fatal: true,
      },
      { type: 'final', text: 'half', isError: true },
    ]);
  });

  it('ignores lines that are not JSON, unknown types and malformed items', () => {
    const parser = new CodexOutputParser();
    for (const line of [
      'Reading additional input from stdin...',
      '{"type":"item.updated","item":{"id":"x","type":"todo_list","items":[]}}',
      '{"type":"item.completed","item":{"type":"command_execution"}}',
      '{"type":"item.completed","item":{"id":"y","type":"file_change","changes":"x"}}',
      '{"type":"item.completed"}',
      '{"type":"turn.failed","error":"text"}',
      '{"type":"thread.started","thread_id":"t"}',
      'null',
    ]) {
      expect(parser.line(line), line).toEqual([]);
    }
  });
});

describe('Codex exec --json parser on output recorded from 0.169.0', () => {
  it('reads a real write-hello run', async () => {
    const events = parseLines(
      new CodexOutputParser(),
      await fixture('recorded-write-hello.jsonl'),
      0,
    );
    expect(events).toEqual([
      { type: 'tool_call', tool: 'apply_patch', summary: '/repo/hello.txt' },
      { type: 'file_change', path: '/repo/hello.txt', kind: 'add' },
      { type: 'message', text: 'done' },
      expect.objectContaining({ type: 'usage', cacheReadTokens: 0, cacheWriteTokens: 0 }),
      { type: 'final', text: 'done', isError: false },
    ]);
  });

  it('reads a real run whose token the gateway refused: one retry, then turn.failed', async () => {
    const events = parseLines(
      new CodexOutputParser(),
      await fixture('recorded-rejected-token.jsonl'),
      1,
    );
    expect(events.map((event) => (event.type === 'error' ? event.fatal : event.type))).toEqual([
      false,
      false,
      true,
      'final',
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'final',
      text: expect.stringContaining('401 Unauthorized') as string,
      isError: true,
    });
  });
});
