import { describe, expect, it } from 'vitest';
import { parseLines, readFixtureLines } from '../../../test/helpers/agent-tools.ts';
import { ClaudeCodeOutputParser } from './claude-code-output-parser.ts';

const fixture = (name: string) =>
  readFixtureLines(new URL(`./__fixtures__/${name}`, import.meta.url));

describe('Claude Code stream-json parser', () => {
  it('follows a run that writes a file: message, tool call, file change, usage, final answer', async () => {
    const events = parseLines(new ClaudeCodeOutputParser(), await fixture('write-hello.jsonl'), 0);
    expect(events).toEqual([
      { type: 'message', text: 'I will create the file.' },
      { type: 'tool_call', tool: 'Write', summary: '/repo/hello.txt' },
      { type: 'file_change', path: '/repo/hello.txt', kind: 'add' },
      { type: 'message', text: 'done' },
      {
        type: 'usage',
        inputTokens: 24,
        outputTokens: 20,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0.000496,
      },
      { type: 'final', text: 'done', isError: false },
    ]);
  });

  it('treats a result with subtype "success" but is_error true as a failed run', async () => {
    const events = parseLines(new ClaudeCodeOutputParser(), await fixture('api-error.jsonl'), 1);
    expect(events.filter((event) => event.type === 'error')).toEqual([
      {
        type: 'error',
        message: 'Model API call failed: HTTP 401 authentication_failed (retry 1 of 2)',
        fatal: false,
      },
      {
        type: 'error',
        message: 'Model API call failed: HTTP 401 authentication_failed (retry 2 of 2)',
        fatal: false,
      },
      {
        type: 'error',
        message: expect.stringContaining('(HTTP 401, api_error)') as string,
        fatal: true,
      },
    ]);
    const final = events.at(-1);
    expect(final).toMatchObject({ type: 'final', isError: true });
    expect(final?.type === 'final' && final.text).toContain('API Error: 401');
  });

  it('is a failure even with is_error false when the CLI exited non-zero', async () => {
    const events = parseLines(new ClaudeCodeOutputParser(), await fixture('write-hello.jsonl'), 1);
    expect(events.at(-1)).toEqual({ type: 'final', text: 'done', isError: true });
  });

  it('reports denied and failing shell commands with their exit code, edits as updates', async () => {
    const events = parseLines(new ClaudeCodeOutputParser(), await fixture('bash-denied.jsonl'), 0);
    expect(events.filter((event) => event.type === 'command')).toEqual([
      {
        type: 'command',
        command: `node -e "require('fs').writeFileSync('hello.txt', 'hi from agent')"`,
        exitCode: null,
      },
      { type: 'command', command: 'git status --short', exitCode: 128 },
    ]);
    expect(events).toContainEqual({
      type: 'error',
      message: 'Bash failed: This command requires approval',
      fatal: false,
    });
    expect(events).toContainEqual({ type: 'file_change', path: '/repo/README.md', kind: 'update' });
    expect(events).toContainEqual({
      type: 'usage',
      inputTokens: 48,
      outputTokens: 40,
      cacheReadTokens: 300,
      cacheWriteTokens: 100,
      costUsd: 0.0012,
    });
    expect(events.at(-1)).toEqual({
      type: 'final',
      text: 'I could not run node, so I edited the README instead.',
      isError: false,
    });
  });

  it('never puts file contents into a tool-call summary', async () => {
    const events = parseLines(new ClaudeCodeOutputParser(), await fixture('bash-denied.jsonl'), 0);
    const summaries = events.flatMap((event) =>
      event.type === 'tool_call' ? [event.summary] : [],
    );
    expect(summaries).toEqual([
      `node -e "require('fs').writeFileSync('hello.txt', 'hi from agent')"`,
      'git status --short',
      '/repo/README.md',
    ]);
    expect(JSON.stringify(events)).not.toContain('secret new text');
  });

  it('ends a max-turns run as an error with the reason', async () => {
    const events = parseLines(new ClaudeCodeOutputParser(), await fixture('max-turns.jsonl'), 1);
    expect(events).toContainEqual({
      type: 'error',
      message: 'Reached maximum number of turns (1) (max_turns, error_max_turns)',
      fatal: true,
    });
    expect(events.at(-1)).toEqual({
      type: 'final',
      text: 'Reached maximum number of turns (1) (max_turns, error_max_turns)',
      isError: true,
    });
  });

  it('fails a run that ended without a result line, keeping the last text', () => {
    const parser = new ClaudeCodeOutputParser();
    const lines = [
      '{"type":"assistant","message":{"content":[{"type":"text","text":"working on it"}]}}',
    ];
    expect(parseLines(parser, lines, null)).toEqual([
      { type: 'message', text: 'working on it' },
      {
        type: 'error',
        message: 'Claude Code ended without a result (exit code none)',
        fatal: true,
      },
      { type: 'final', text: 'working on it', isError: true },
    ]);
  });

  it('ignores lines that are not JSON, unknown types and malformed events', () => {
    const parser = new ClaudeCodeOutputParser();
    for (const line of [
      '',
      'Warning: something',
      '[1,2]',
      '{"type":',
      '{"type":"stream_event","event":{}}',
      '{"type":"assistant","message":"not an object"}',
      '{"type":"assistant","message":{"content":[{"type":"tool_use"}]}}',
      '{"type":"result"}',
      '{"no":"type"}',
    ]) {
      expect(parser.line(line), line).toEqual([]);
    }
  });

  it('clips a long multi-line command summary to one short line', () => {
    const parser = new ClaudeCodeOutputParser();
    const command = `cat > notes.md <<'EOF'\n${'private text '.repeat(50)}\nEOF`;
    const events = parser.line(
      JSON.stringify({
        type: 'assistant',
        message: { content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command } }] },
      }),
    );
    expect(events).toEqual([
      { type: 'tool_call', tool: 'Bash', summary: "cat > notes.md <<'EOF' …" },
    ]);
  });
});

describe('Claude Code stream-json parser on output recorded from 2.1.331', () => {
  it('reads a real write-hello run', async () => {
    const events = parseLines(
      new ClaudeCodeOutputParser(),
      await fixture('recorded-write-hello.jsonl'),
      0,
    );
    expect(events.filter((event) => event.type !== 'usage')).toEqual([
      { type: 'tool_call', tool: 'Write', summary: '/repo/hello.txt' },
      { type: 'file_change', path: '/repo/hello.txt', kind: 'add' },
      { type: 'message', text: 'done' },
      { type: 'final', text: 'done', isError: false },
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'usage', inputTokens: 44193, outputTokens: 34 }),
    );
  });

  it('reads a real run whose token the gateway refused: retries, then a clear error', async () => {
    const events = parseLines(
      new ClaudeCodeOutputParser(),
      await fixture('recorded-rejected-token.jsonl'),
      1,
    );
    expect(events.filter((event) => event.type === 'error').map((event) => event.fatal)).toEqual([
      false,
      false,
      true,
    ]);
    expect(events.at(-1)).toEqual({
      type: 'final',
      text: 'Not logged in · Please run /login (HTTP 401, api_error)',
      isError: true,
    });
  });
});
