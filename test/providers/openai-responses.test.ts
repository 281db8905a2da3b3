import { describe, expect, it } from 'vitest';
import { codexBody, workDir } from './claude-codex-request-bodies.ts';
import { openaiHeaders, post, postJson, startProvider } from './provider-fixture.ts';
import { eventData, readServerSentEvents } from './server-sent-events.ts';
import type { Scenario } from './scripted-provider.ts';

const writeHello: Scenario = {
  name: 'write-hello',
  turns: [{ write: { path: 'hello.txt', content: 'hi from agent' } }, { text: 'done' }],
  usage: { input: 900, output: 40, cacheRead: 300 },
};

const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hi from agent\n*** End Patch\n';

async function streamEvents(body: unknown, scenario: Scenario = writeHello) {
  const provider = await startProvider(scenario);
  const response = await post(provider, '/v1/responses', body, openaiHeaders);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events = await readServerSentEvents(response);
  const data = eventData(events);
  for (const [index, event] of events.entries()) {
    expect(event.event).toBe(data[index]?.['type']);
    expect(data[index]?.['sequence_number']).toBe(index);
  }
  return { provider, data, types: data.map((event) => event['type']) };
}

const expectedUsage = {
  input_tokens: 1200,
  input_tokens_details: { cached_tokens: 300 },
  output_tokens: 40,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 1240,
};

describe('OpenAI Responses', () => {
  it('streams an apply_patch custom tool call when Codex offers it', async () => {
    const { data, types } = await streamEvents(codexBody());
    expect(types[0]).toBe('response.created');
    expect(types[1]).toBe('response.in_progress');
    expect(types[2]).toBe('response.output_item.added');
    expect(new Set(types.slice(3, -3))).toEqual(new Set(['response.custom_tool_call_input.delta']));
    expect(types.slice(-3)).toEqual([
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = data[0]?.['response'] as Record<string, unknown>;
    expect(created).toEqual(
      expect.objectContaining({
        object: 'response',
        status: 'in_progress',
        model: 'gpt-5.5',
        output: [],
      }),
    );
    const item = {
      id: expect.stringMatching(/^ctc_/) as unknown,
      type: 'custom_tool_call',
      status: 'completed',
      call_id: expect.stringMatching(/^call_/) as unknown,
      name: 'apply_patch',
      input: patch,
    };
    expect(data[2]?.['item']).toEqual({ ...item, status: 'in_progress', input: '' });
    const deltas = data.slice(3, -3).map((event) => event['delta'] as string);
    expect(deltas.join('')).toBe(patch);
    expect(data.at(-3)).toEqual(expect.objectContaining({ input: patch, output_index: 0 }));
    expect(data.at(-2)?.['item']).toEqual(item);
    const completed = data.at(-1)?.['response'] as Record<string, unknown>;
    expect(completed['status']).toBe('completed');
    expect(completed['output']).toEqual([item]);
    expect(completed['usage']).toEqual(expectedUsage);
    expect(completed['id']).toBe(created['id']);
  });

  it('calls exec_command with {cmd} when the model slug is unknown (no apply_patch)', async () => {
    const { data, types } = await streamEvents(codexBody({ unknownSlug: true }));
    expect(types.slice(-3)).toEqual([
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const item = data.at(-2)?.['item'] as Record<string, unknown>;
    expect(item).toEqual({
      id: expect.stringMatching(/^fc_/) as unknown,
      type: 'function_call',
      status: 'completed',
      call_id: expect.stringMatching(/^call_/) as unknown,
      name: 'exec_command',
      arguments: JSON.stringify({ cmd: "printf '%s' 'hi from agent' > 'hello.txt'" }),
    });
    const deltas = data.filter(
      (event) => event['type'] === 'response.function_call_arguments.delta',
    );
    expect(deltas.map((event) => event['delta']).join('')).toBe(item['arguments']);
    expect(data.at(-3)).toEqual(
      expect.objectContaining({ name: 'exec_command', arguments: item['arguments'] }),
    );
  });

  it('streams the final message with its content part events once an output item is in the input', async () => {
    for (const body of [
      codexBody({ toolResults: 1 }),
      codexBody({ toolResults: 1, unknownSlug: true }),
    ]) {
      const { data, types } = await streamEvents(body);
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const at = {
        item_id: expect.stringMatching(/^msg_/) as unknown,
        output_index: 0,
        content_index: 0,
      };
      expect(data[3]).toEqual(
        expect.objectContaining({
          ...at,
          part: { type: 'output_text', text: '', annotations: [] },
        }),
      );
      expect(data[4]).toEqual(expect.objectContaining({ ...at, delta: 'done', logprobs: [] }));
      expect(data[5]).toEqual(expect.objectContaining({ ...at, text: 'done' }));
      expect(data[7]?.['item']).toEqual({
        id: expect.stringMatching(/^msg_/) as unknown,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'done', annotations: [] }],
      });
    }
  });

  it('puts a say message before the tool call, as two output items', async () => {
    const { data } = await streamEvents(codexBody(), {
      name: 'say',
      turns: [{ shell: 'ls', say: 'Looking around.' }],
    });
    const done = data.filter((event) => event['type'] === 'response.output_item.done');
    expect(
      done.map((event) => [event['output_index'], (event['item'] as { type: string }).type]),
    ).toEqual([
      [0, 'message'],
      [1, 'function_call'],
    ]);
    expect((done[1]?.['item'] as { arguments: string }).arguments).toBe('{"cmd":"ls"}');
  });

  it('answers stream:false with the whole Response object', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(
      provider,
      '/v1/responses',
      codexBody({ stream: false, toolResults: 2 }),
      openaiHeaders,
    );
    expect(status).toBe(200);
    expect(body).toEqual(
      expect.objectContaining({ object: 'response', status: 'completed', usage: expectedUsage }),
    );
    expect(body['output']).toEqual([
      expect.objectContaining({
        type: 'message',
        content: [{ type: 'output_text', text: 'done', annotations: [] }],
      }),
    ]);
  });

  it('refuses a wrong key with invalid_api_key and a missing one with code null', async () => {
    const provider = await startProvider(writeHello);
    const wrong = await postJson(provider, '/v1/responses', codexBody(), {
      authorization: 'Bearer sk-wrong-key-123456',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      error: {
        message: expect.stringMatching(/^Incorrect API key provided: sk-\*\*\*3456\./) as unknown,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const missing = await postJson(provider, '/v1/responses', codexBody(), {});
    expect(missing.status).toBe(401);
    expect(missing.body['error']).toEqual(
      expect.objectContaining({ type: 'invalid_request_error', code: null }),
    );
    expect((missing.body['error'] as { message: string }).message).toMatch(/^You didn't provide/);
  });

  it('fails an error turn with a server_error body', async () => {
    const provider = await startProvider('provider-fails');
    const { status, body } = await postJson(provider, '/v1/responses', codexBody(), openaiHeaders);
    expect(status).toBe(500);
    expect(body).toEqual({
      error: { message: 'Internal server error', type: 'server_error', param: null, code: null },
    });
  });

  it('reads the task and the cwd from Codex input items for templates', async () => {
    const provider = await startProvider('demo');
    const { body } = await postJson(
      provider,
      '/v1/responses',
      codexBody({ stream: false, prompt: 'Fix the flaky login test\nIt fails on CI.' }),
      openaiHeaders,
    );
    const call = (body['output'] as { type: string; input?: string }[]).find(
      (item) => item.type === 'custom_tool_call',
    );
    expect(call?.input).toContain('*** Add File: BATON_DEMO.md\n');
    expect(call?.input).toContain('+> Fix the flaky login test\n');
    expect(call?.input).not.toContain(workDir);
  });
});
