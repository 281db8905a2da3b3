import { describe, expect, it } from 'vitest';
import { parseLines, readFixtureLines } from '../../../test/helpers/agent-tools.ts';
import { GeminiOutputParser } from './gemini-output-parser.ts';

const fixture = (name: string) =>
  readFixtureLines(new URL(`./__fixtures__/${name}`, import.meta.url));

describe('Gemini CLI stream-json parser', () => {
  it('joins streamed deltas into messages and answers with the text after the last tool call', async () => {
    const events = parseLines(new GeminiOutputParser(), await fixture('write-hello.jsonl'), 0);
    expect(events).toEqual([
      { type: 'message', text: 'I will create the file.' },
      { type: 'tool_call', tool: 'write_file', summary: 'hello.txt' },
      { type: 'file_change', path: 'hello.txt', kind: 'add' },
      { type: 'message', text: 'done' },
      { type: 'usage', inputTokens: 20, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { type: 'final', text: 'done', isError: false },
    ]);
  });

  it('ends an error result as a fatal error with the API message', async () => {
    const events = parseLines(new GeminiOutputParser(), await fixture('api-error.jsonl'), 1);
    const message = '[API Error: {"error":{"message":"","code":404,"status":"Not Found"}}]';
    expect(events).toEqual([
      { type: 'usage', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { type: 'error', message, fatal: true },
      { type: 'final', text: message, isError: true },
    ]);
  });

  it('reads shell exit codes, failed tools and warnings; cached input is counted apart', async () => {
    const events = parseLines(
      new GeminiOutputParser(),
      await fixture('shell-and-warnings.jsonl'),
      0,
    );
    expect(events).toEqual([
      { type: 'tool_call', tool: 'run_shell_command', summary: 'npm test' },
      { type: 'command', command: 'npm test', exitCode: 1 },
      { type: 'tool_call', tool: 'replace', summary: '/repo/src/app.ts' },
      {
        type: 'error',
        message: 'replace failed: Failed to edit, could not find the string to replace.',
        fatal: false,
      },
      { type: 'error', message: 'Loop detected, stopping execution', fatal: false },
      { type: 'message', text: 'The tests fail; I could not fix them.' },
      {
        type: 'usage',
        inputTokens: 400,
        outputTokens: 100,
        cacheReadTokens: 1000,
        cacheWriteTokens: 0,
      },
      { type: 'final', text: 'The tests fail; I could not fix them.', isError: false },
    ]);
    expect(JSON.stringify(events)).not.toContain('private');
  });

  it('fails a run that ended without a result line, and one whose answer is empty', () => {
    expect(parseLines(new GeminiOutputParser(), ['{"type":"init","model":"m"}'], 137)).toEqual([
      { type: 'error', message: 'Gemini CLI ended without a result (exit code 137)', fatal: true },
      { type: 'final', text: 'Gemini CLI ended without a result (exit code 137)', isError: true },
    ]);
    expect(
      parseLines(new GeminiOutputParser(), ['{"type":"result","status":"success"}'], 0),
    ).toEqual([
      { type: 'error', message: 'Gemini CLI finished without an answer', fatal: true },
      { type: 'final', text: 'Gemini CLI finished without an answer', isError: true },
    ]);
  });

  it('keeps a whole (non-delta) assistant message as a message of its own', () => {
    const parser = new GeminiOutputParser();
    const events = parseLines(
      parser,
      [
        '{"type":"message","role":"assistant","content":"part ","delta":true}',
        '{"type":"message","role":"assistant","content":"whole"}',
        '{"type":"result","status":"success"}',
      ],
      0,
    );
    expect(events).toEqual([
      { type: 'message', text: 'part ' },
      { type: 'message', text: 'whole' },
      { type: 'final', text: 'whole', isError: false },
    ]);
  });

  it('ignores lines that are not JSON, unknown types and malformed events', () => {
    const parser = new GeminiOutputParser();
    for (const line of [
      'YOLO mode is enabled. All tool calls will be automatically approved.',
      '{"type":"message","role":"user","content":"hi"}',
      '{"type":"tool_use","tool_name":"x"}',
      '{"type":"tool_result","tool_id":"unknown","status":"success"}',
      '{"type":"result"}',
      '{"type":"error"}',
      '{"type":"thought","content":"hmm"}',
    ]) {
      expect(parser.line(line), line).toEqual([]);
    }
  });
});

describe('Gemini CLI parser on output recorded from 0.61.0', () => {
  it('reads a real write-hello run', async () => {
    const events = parseLines(
      new GeminiOutputParser(),
      await fixture('recorded-write-hello.jsonl'),
      0,
    );
    expect(events).toEqual([
      { type: 'tool_call', tool: 'write_file', summary: 'hello.txt' },
      // The real tool_result of write_file has no output text: Baton cannot tell add from update.
      { type: 'file_change', path: 'hello.txt', kind: 'update' },
      { type: 'message', text: 'done' },
      {
        type: 'usage',
        inputTokens: 24588,
        outputTokens: 27,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      },
      { type: 'final', text: 'done', isError: false },
    ]);
  });

  it('reads a real run whose token the gateway refused (exit code 145 = 401 mod 256)', async () => {
    const events = parseLines(
      new GeminiOutputParser(),
      await fixture('recorded-rejected-token.jsonl'),
      145,
    );
    expect(events.at(-1)).toEqual({
      type: 'final',
      text: '[API Error: {"error":{"code":401,"message":"invalid x-api-key","status":"UNAUTHENTICATED"}}]',
      isError: true,
    });
  });
});
