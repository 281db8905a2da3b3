import { describe, expect, it } from 'vitest';
import { workDir } from './claude-codex-request-bodies.ts';
import { opencodeChatBody } from './opencode-gemini-request-bodies.ts';
import { openaiHeaders, post, postJson, startProvider } from './provider-fixture.ts';
import { readServerSentEvents } from './server-sent-events.ts';
import type { Scenario } from './scripted-provider.ts';

const writeHello: Scenario = {
  name: 'write-hello',
  turns: [{ write: { path: 'hello.txt', content: 'hi from agent' } }, { text: 'done' }],
  usage: { input: 500, output: 20, cacheRead: 100, cacheWrite: 50 },
};

async function streamChunks(body: unknown, scenario: Scenario = writeHello) {
  const provider = await startProvider(scenario);
  const response = await post(provider, '/v1/chat/completions', body, openaiHeaders);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events = await readServerSentEvents(response);
  for (const event of events) expect(event.event).toBeNull();
  expect(events.at(-1)?.data).toBe('[DONE]');
  const chunks = events
    .slice(0, -1)
    .map((event) => JSON.parse(event.data) as Record<string, unknown>);
  for (const chunk of chunks) {
    expect(chunk).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(/^chatcmpl-/) as unknown,
        object: 'chat.completion.chunk',
        model: 'fake-model',
      }),
    );
  }
  return { provider, chunks };
}

type Choice = { delta: Record<string, unknown>; finish_reason: string | null };
const choice = (chunk: Record<string, unknown> | undefined): Choice =>
  (chunk?.['choices'] as Choice[])[0] as Choice;

const expectedUsage = {
  prompt_tokens: 650,
  completion_tokens: 20,
  total_tokens: 670,
  prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};

describe('OpenAI chat completions', () => {
  it('streams a write tool call for opencode, then the finish reason, the usage chunk and [DONE]', async () => {
    const { chunks } = await streamChunks(opencodeChatBody());
    expect(choice(chunks[0]).delta).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        {
          index: 0,
          id: expect.stringMatching(/^call_/) as unknown,
          type: 'function',
          function: { name: 'write', arguments: '' },
        },
      ],
    });
    const argumentChunks = chunks.slice(1, -2).map((chunk) => {
      const calls = choice(chunk).delta['tool_calls'] as {
        index: number;
        function: { arguments: string };
      }[];
      expect(calls[0]?.index).toBe(0);
      return calls[0]?.function.arguments ?? '';
    });
    expect(JSON.parse(argumentChunks.join(''))).toEqual({
      filePath: `${workDir}/hello.txt`,
      content: 'hi from agent',
    });
    expect(choice(chunks.at(-2))).toEqual({
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    for (const chunk of chunks.slice(0, -1)) expect(chunk['usage']).toBeNull();
    expect(chunks.at(-1)?.['choices']).toEqual([]);
    expect(chunks.at(-1)?.['usage']).toEqual(expectedUsage);
  });

  it('answers the text once a role:tool message is in the history', async () => {
    const { chunks } = await streamChunks(opencodeChatBody({ toolResults: 1 }));
    expect(choice(chunks[0]).delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(choice(chunks[1]).delta).toEqual({ content: 'done' });
    expect(choice(chunks[2]).finish_reason).toBe('stop');
  });

  it('sends no usage chunk and no usage field without stream_options.include_usage', async () => {
    const { chunks } = await streamChunks(
      opencodeChatBody({ includeUsage: false, toolResults: 1 }),
    );
    for (const chunk of chunks) expect(chunk).not.toHaveProperty('usage');
    expect(choice(chunks.at(-1)).finish_reason).toBe('stop');
  });

  it("answers opencode's title request (no tools) with plain text", async () => {
    const { chunks } = await streamChunks(opencodeChatBody({ title: true }), {
      name: 'title',
      turns: [{ write: { path: 'a.txt', content: 'a' }, say: 'Write a file' }],
    });
    const text = chunks
      .map((chunk) => (choice(chunk)?.delta?.['content'] as string | undefined) ?? '')
      .join('');
    expect(text).toBe('Write a file');
  });

  it('runs a shell turn through opencode bash with its required description', async () => {
    const provider = await startProvider({ name: 'shell', turns: [{ shell: 'ls -la' }] });
    const { body } = await postJson(
      provider,
      '/v1/chat/completions',
      opencodeChatBody({ stream: false }),
      openaiHeaders,
    );
    const message = (body['choices'] as { message: Record<string, unknown> }[])[0]?.message;
    expect(message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        {
          id: expect.stringMatching(/^call_/) as unknown,
          type: 'function',
          function: {
            name: 'bash',
            arguments: JSON.stringify({
              command: 'ls -la',
              description: 'Run the scripted command',
            }),
          },
        },
      ],
    });
  });

  it('answers stream:false with a chat.completion and its usage', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(
      provider,
      '/v1/chat/completions',
      opencodeChatBody({ stream: false, toolResults: 3 }),
      openaiHeaders,
    );
    expect(status).toBe(200);
    expect(body).toEqual(
      expect.objectContaining({
        object: 'chat.completion',
        model: 'fake-model',
        usage: expectedUsage,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'done', refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
      }),
    );
  });

  it('refuses a wrong key with the OpenAI 401 body', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(provider, '/v1/chat/completions', opencodeChatBody(), {
      authorization: 'Bearer nope',
    });
    expect(status).toBe(401);
    expect(body['error']).toEqual(
      expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_api_key' }),
    );
  });

  it('answers a rate-limit turn with 429 rate_limit_exceeded', async () => {
    const provider = await startProvider({
      name: 'limited',
      turns: [{ error: { status: 429, message: 'Rate limit reached' } }],
    });
    const { status, body } = await postJson(
      provider,
      '/v1/chat/completions',
      opencodeChatBody(),
      openaiHeaders,
    );
    expect(status).toBe(429);
    expect(body['error']).toEqual({
      message: 'Rate limit reached',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
  });

  it('answers malformed JSON with 400 invalid_request_error', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(
      provider,
      '/v1/chat/completions',
      '{oops',
      openaiHeaders,
    );
    expect(status).toBe(400);
    expect(body['error']).toEqual(expect.objectContaining({ type: 'invalid_request_error' }));
  });

  it('lists models in the OpenAI shape', async () => {
    const provider = await startProvider(writeHello);
    const response = await fetch(`${provider.url}/v1/models`, { headers: openaiHeaders });
    const body = (await response.json()) as { object: string; data: { object: string }[] };
    expect(body.object).toBe('list');
    expect(body.data[0]?.object).toBe('model');
    expect(provider.requests[0]?.protocol).toBe('openai-chat');
    const one = await fetch(`${provider.url}/v1/models/gpt-5.5`, { headers: openaiHeaders });
    expect(await one.json()).toEqual(expect.objectContaining({ id: 'gpt-5.5', object: 'model' }));
  });
});
