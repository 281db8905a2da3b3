import { describe, expect, it } from 'vitest';
import { claudeCodeBody, workDir } from './claude-codex-request-bodies.ts';
import { opencodeAnthropicBody } from './opencode-gemini-request-bodies.ts';
import {
  anthropicHeaders,
  post,
  postJson,
  startProvider,
  upstreamKeys,
} from './provider-fixture.ts';
import { eventData, readServerSentEvents } from './server-sent-events.ts';
import type { Scenario } from './scripted-provider.ts';

const writeHello: Scenario = {
  name: 'write-hello',
  turns: [
    { write: { path: 'hello.txt', content: 'hi from agent' }, say: 'I will create the file.' },
    { text: 'done' },
  ],
  usage: { input: 1200, output: 34, cacheRead: 800, cacheWrite: 96 },
};

async function streamEvents(body: unknown, scenario: Scenario = writeHello) {
  const provider = await startProvider(scenario);
  const response = await post(provider, '/v1/messages?beta=true', body, anthropicHeaders);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  expect(response.headers.get('request-id')).toMatch(/^req_/);
  const events = await readServerSentEvents(response);
  return { provider, events, data: eventData(events) };
}

/** The tool_use input as Claude Code assembles it: the partial_json pieces joined. */
function toolInput(data: Record<string, unknown>[], index: number): unknown {
  const json = data
    .filter((event) => event['type'] === 'content_block_delta' && event['index'] === index)
    .map((event) => (event['delta'] as { partial_json: string }).partial_json)
    .join('');
  return JSON.parse(json);
}

describe('Anthropic Messages', () => {
  it('streams text then a Write call with every event named, in the documented order', async () => {
    const { events, data } = await streamEvents(claudeCodeBody());
    for (const [index, event] of events.entries()) expect(event.event).toBe(data[index]?.['type']);
    const order = events.map((event) => event.event);
    expect(order[0]).toBe('message_start');
    expect(order.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(order.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(order.filter((name) => name === 'content_block_start')).toHaveLength(2);
    expect(order.indexOf('content_block_stop')).toBeLessThan(
      order.lastIndexOf('content_block_start'),
    );

    expect(data[0]).toEqual({
      type: 'message_start',
      message: {
        id: expect.stringMatching(/^msg_/) as unknown,
        type: 'message',
        role: 'assistant',
        model: 'claude-opus-5-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 1200,
          cache_creation_input_tokens: 96,
          cache_read_input_tokens: 800,
          output_tokens: 1,
        },
      },
    });
    const starts = data.filter((event) => event['type'] === 'content_block_start');
    expect(starts[0]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    expect(starts[1]).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/) as unknown,
        name: 'Write',
        input: {},
      },
    });
    const text = data
      .filter((event) => event['type'] === 'content_block_delta' && event['index'] === 0)
      .map((event) => (event['delta'] as { type: string; text: string }).text)
      .join('');
    expect(text).toBe('I will create the file.');
    expect(toolInput(data, 1)).toEqual({
      file_path: `${workDir}/hello.txt`,
      content: 'hi from agent',
    });
    expect(data.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 1200,
        cache_creation_input_tokens: 96,
        cache_read_input_tokens: 800,
        output_tokens: 34,
      },
    });
    expect(data.at(-1)).toEqual({ type: 'message_stop' });
  });

  it('records the request under its path without the ?beta=true query', async () => {
    const { provider } = await streamEvents(claudeCodeBody());
    expect(provider.requests).toEqual([
      expect.objectContaining({
        protocol: 'anthropic',
        method: 'POST',
        path: '/v1/messages',
        stream: true,
        model: 'claude-opus-5-5',
      }),
    ]);
    expect(provider.requests[0]?.headers['x-api-key']).toBe(upstreamKeys.anthropic);
  });

  it('answers the final text once the history holds a tool_result, and keeps it past the end', async () => {
    for (const toolResults of [1, 4]) {
      const { data } = await streamEvents(claudeCodeBody({ toolResults }));
      const deltas = data.filter((event) => event['type'] === 'content_block_delta');
      expect(deltas.map((event) => (event['delta'] as { text: string }).text).join('')).toBe(
        'done',
      );
      expect(data.at(-2)?.['delta']).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    }
  });

  it('answers stream:false with one Message JSON (Claude Code falls back to it)', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(
      provider,
      '/v1/messages',
      claudeCodeBody({ stream: false }),
      anthropicHeaders,
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_/) as unknown,
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-5-5',
      content: [
        { type: 'text', text: 'I will create the file.' },
        {
          type: 'tool_use',
          id: expect.stringMatching(/^toolu_/) as unknown,
          name: 'Write',
          input: { file_path: `${workDir}/hello.txt`, content: 'hi from agent' },
        },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 1200,
        cache_creation_input_tokens: 96,
        cache_read_input_tokens: 800,
        output_tokens: 34,
      },
    });
    expect(provider.requests[0]?.stream).toBe(false);
  });

  it('creates the file with Edit when Claude Code runs --bare (no Write tool)', async () => {
    const { data } = await streamEvents(claudeCodeBody({ bare: true }));
    const start = data.find(
      (event) => event['type'] === 'content_block_start' && event['index'] === 1,
    );
    expect((start?.['content_block'] as { name: string }).name).toBe('Edit');
    expect(toolInput(data, 1)).toEqual({
      file_path: `${workDir}/hello.txt`,
      old_string: '',
      new_string: 'hi from agent',
    });
  });

  it('runs a shell turn through Bash with a description', async () => {
    const { data } = await streamEvents(claudeCodeBody(), {
      name: 'shell',
      turns: [{ shell: 'npm test' }, { text: 'tests pass' }],
    });
    const start = data.find((event) => event['type'] === 'content_block_start');
    expect((start?.['content_block'] as { name: string }).name).toBe('Bash');
    expect(toolInput(data, 0)).toEqual({
      command: 'npm test',
      description: 'Run the scripted command',
    });
  });

  it("writes with opencode's lower-case write tool when opencode uses an Anthropic provider", async () => {
    const { data } = await streamEvents(opencodeAnthropicBody());
    const start = data.find(
      (event) => event['type'] === 'content_block_start' && event['index'] === 1,
    );
    expect((start?.['content_block'] as { name: string }).name).toBe('write');
    expect(toolInput(data, 1)).toEqual({
      filePath: `${workDir}/hello.txt`,
      content: 'hi from agent',
    });
  });

  it('accepts the key as x-api-key or as a Bearer token', async () => {
    const provider = await startProvider(writeHello);
    const bearer = {
      authorization: `Bearer ${upstreamKeys.anthropic}`,
      'content-type': 'application/json',
    };
    const response = await post(
      provider,
      '/v1/messages',
      claudeCodeBody({ stream: false }),
      bearer,
    );
    expect(response.status).toBe(200);
  });

  it('refuses a wrong or missing key with authentication_error', async () => {
    const provider = await startProvider(writeHello);
    const body = claudeCodeBody();
    const wrong = await postJson(provider, '/v1/messages', body, {
      ...anthropicHeaders,
      'x-api-key': 'sk-ant-wrong',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
      request_id: expect.stringMatching(/^req_/) as unknown,
    });
    const missing = await postJson(provider, '/v1/messages', body, {
      'content-type': 'application/json',
    });
    expect(missing.status).toBe(401);
    expect(missing.body['error']).toEqual({
      type: 'authentication_error',
      message: 'x-api-key header is required',
    });
  });

  it('fails an error turn with the status and the error type Anthropic uses for it', async () => {
    const provider = await startProvider({
      name: 'overloaded',
      turns: [{ error: { status: 529, message: 'Overloaded' } }],
    });
    const { status, body } = await postJson(
      provider,
      '/v1/messages',
      claudeCodeBody(),
      anthropicHeaders,
    );
    expect(status).toBe(529);
    expect(body['error']).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
  });

  it('answers a request without tools with plain text', async () => {
    const provider = await startProvider(writeHello);
    const { body } = await postJson(
      provider,
      '/v1/messages',
      {
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Title?' }],
      },
      anthropicHeaders,
    );
    expect(body['content']).toEqual([{ type: 'text', text: 'I will create the file.' }]);
    expect(body['stop_reason']).toBe('end_turn');
  });

  it('counts tokens with the scenario input count', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(
      provider,
      '/v1/messages/count_tokens',
      { model: 'claude-opus-5-5', messages: [{ role: 'user', content: 'hi' }] },
      anthropicHeaders,
    );
    expect(status).toBe(200);
    expect(body).toEqual({ input_tokens: 1200 });
  });

  it('answers malformed JSON and a body without messages with invalid_request_error', async () => {
    const provider = await startProvider(writeHello);
    const malformed = await postJson(provider, '/v1/messages', '{"model":', anthropicHeaders);
    expect(malformed.status).toBe(400);
    expect((malformed.body['error'] as { type: string }).type).toBe('invalid_request_error');
    const incomplete = await postJson(provider, '/v1/messages', { model: 'm' }, anthropicHeaders);
    expect(incomplete.status).toBe(400);
    expect(incomplete.body['error']).toEqual({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^messages: /) as unknown,
    });
  });

  it('lists models in the Anthropic shape for an Anthropic client', async () => {
    const provider = await startProvider(writeHello);
    const response = await fetch(`${provider.url}/v1/models`, { headers: anthropicHeaders });
    const body = (await response.json()) as { data: { type: string; id: string }[] };
    expect(body.data[0]).toEqual(expect.objectContaining({ type: 'model' }));
    expect(body).toEqual(expect.objectContaining({ has_more: false }));
  });
});
