import { describe, expect, it } from 'vitest';
import { parseLines, readFixtureLines } from '../../../test/helpers/agent-tools.ts';
import { OpencodeOutputParser } from './opencode-output-parser.ts';

const fixture = (name: string) =>
  readFixtureLines(new URL(`./__fixtures__/${name}`, import.meta.url));

describe('Opencode run --format json parser', () => {
  it('follows a run that writes a file: tool call, new file, usage per step, final answer', async () => {
    const events = parseLines(new OpencodeOutputParser(), await fixture('write-hello.jsonl'), 0);
    expect(events).toEqual([
      { type: 'tool_call', tool: 'write', summary: '/repo/hello.txt' },
      { type: 'file_change', path: '/repo/hello.txt', kind: 'add' },
      {
        type: 'usage',
        inputTokens: 10,
        outputTokens: 5,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
      },
      { type: 'message', text: 'done' },
      {
        type: 'usage',
        inputTokens: 25,
        outputTokens: 2,
        cacheReadTokens: 5,
        cacheWriteTokens: 0,
        costUsd: 0.0012,
      },
      { type: 'final', text: 'done', isError: false },
    ]);
  });

  it('treats a run with no final text as a failure even when opencode exits 0', async () => {
    const events = parseLines(
      new OpencodeOutputParser(),
      await fixture('permission-rejected.jsonl'),
      0,
    );
    expect(events).toContainEqual({
      type: 'error',
      message: 'write failed: The user rejected permission to use this specific tool call.',
      fatal: false,
    });
    expect(events.filter((event) => event.type === 'file_change')).toEqual([]);
    expect(events.slice(-2)).toEqual([
      { type: 'error', message: 'Opencode finished without an answer (exit code 0)', fatal: true },
      { type: 'final', text: 'Opencode finished without an answer (exit code 0)', isError: true },
    ]);
  });

  it('ends on an error event as a fatal error with the API message', async () => {
    const events = parseLines(new OpencodeOutputParser(), await fixture('api-error.jsonl'), 1);
    expect(events).toEqual([
      { type: 'error', message: 'Unauthorized: invalid token', fatal: true },
      { type: 'final', text: 'Unauthorized: invalid token', isError: true },
    ]);
  });

  it('reads shell commands, patches and edits without putting contents in summaries', async () => {
    const events = parseLines(new OpencodeOutputParser(), await fixture('bash-and-patch.jsonl'), 0);
    expect(events).toEqual([
      { type: 'tool_call', tool: 'bash', summary: 'npm test' },
      { type: 'command', command: 'npm test', exitCode: 0 },
      { type: 'tool_call', tool: 'apply_patch', summary: 'notes.md, src/app.ts, old.txt' },
      { type: 'file_change', path: 'notes.md', kind: 'add' },
      { type: 'file_change', path: 'src/app.ts', kind: 'update' },
      { type: 'file_change', path: 'old.txt', kind: 'delete' },
      { type: 'tool_call', tool: 'edit', summary: '/repo/README.md' },
      { type: 'file_change', path: '/repo/README.md', kind: 'update' },
      { type: 'message', text: 'All three changes are in.' },
      { type: 'final', text: 'All three changes are in.', isError: false },
    ]);
    expect(JSON.stringify(events)).not.toContain('private');
  });

  it('ignores lines that are not JSON, unknown types and malformed events', () => {
    const parser = new OpencodeOutputParser();
    for (const line of [
      'INFO starting',
      '{"type":"reasoning","part":{"type":"reasoning","text":"hmm"}}',
      '{"type":"tool_use","part":{"tool":"write"}}',
      '{"type":"text","part":{}}',
      '{"type":"step_finish","part":{"tokens":"many"}}',
      '{"type":"step_start"}',
    ]) {
      expect(parser.line(line), line).toEqual([]);
    }
  });
});

describe('Opencode parser on output recorded from 1.18.33', () => {
  it('reads a real write-hello run', async () => {
    const events = parseLines(
      new OpencodeOutputParser(),
      await fixture('recorded-write-hello.jsonl'),
      0,
    );
    expect(events.filter((event) => event.type !== 'usage')).toEqual([
      { type: 'tool_call', tool: 'write', summary: '/repo/hello.txt' },
      { type: 'file_change', path: '/repo/hello.txt', kind: 'add' },
      { type: 'message', text: 'done' },
      { type: 'final', text: 'done', isError: false },
    ]);
    expect(events.filter((event) => event.type === 'usage')).toHaveLength(2);
  });

  it('reads a real run whose token the gateway refused', async () => {
    const events = parseLines(
      new OpencodeOutputParser(),
      await fixture('recorded-rejected-token.jsonl'),
      1,
    );
    expect(events).toEqual([
      { type: 'error', message: 'invalid x-api-key', fatal: true },
      { type: 'final', text: 'invalid x-api-key', isError: true },
    ]);
  });
});
