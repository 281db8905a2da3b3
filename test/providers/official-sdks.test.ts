/**
 * The providers' own SDKs as clients: if they parse the scripted bytes (streams included) into
 * the text, tool calls and usage they report for the real services, real CLIs built on the same
 * wire formats will too.
 */
import Anthropic, { AuthenticationError as AnthropicAuthenticationError } from '@anthropic-ai/sdk';
import { ApiError, createPartFromFunctionResponse, GoogleGenAI } from '@google/genai';
import OpenAI, { AuthenticationError as OpenAIAuthenticationError } from 'openai';
import { describe, expect, it } from 'vitest';
import { startProvider, upstreamKeys } from './provider-fixture.ts';
import type { Scenario } from './scripted-provider.ts';

const scenario: Scenario = {
  name: 'sdk',
  turns: [
    { write: { path: 'hello.txt', content: 'hi from agent' }, say: 'Creating the file now.' },
    { text: 'All done, the greeting is in hello.txt.' },
  ],
  usage: { input: 1000, output: 50, cacheRead: 400, cacheWrite: 25 },
};

const fileSchema = {
  type: 'object' as const,
  properties: { file_path: { type: 'string' }, content: { type: 'string' } },
  required: ['file_path', 'content'],
};

describe('Anthropic SDK against the scripted provider', () => {
  async function client() {
    const provider = await startProvider(scenario);
    return new Anthropic({ apiKey: upstreamKeys.anthropic, baseURL: provider.url, maxRetries: 0 });
  }
  const request = {
    model: 'claude-opus-5-5',
    max_tokens: 1024,
    system: 'Primary working directory: /srv/app',
    messages: [{ role: 'user' as const, content: 'Create hello.txt' }],
    tools: [{ name: 'Write', description: 'Write a file', input_schema: fileSchema }],
  };

  it('assembles the streamed text, the tool input and the usage', async () => {
    const anthropic = await client();
    const stream = anthropic.messages.stream(request);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.join('')).toBe('Creating the file now.');
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Creating the file now.' }),
      expect.objectContaining({
        type: 'tool_use',
        name: 'Write',
        input: { file_path: '/srv/app/hello.txt', content: 'hi from agent' },
      }),
    ]);
    expect(message.usage).toEqual(
      expect.objectContaining({
        input_tokens: 1000,
        output_tokens: 50,
        cache_read_input_tokens: 400,
        cache_creation_input_tokens: 25,
      }),
    );
  });

  it('reads the non-streamed final answer after a tool result', async () => {
    const anthropic = await client();
    const message = await anthropic.messages.create({
      ...request,
      messages: [
        ...request.messages,
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: {} }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
      ],
    });
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'All done, the greeting is in hello.txt.' }),
    ]);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('raises its AuthenticationError on a wrong key', async () => {
    const provider = await startProvider(scenario);
    const anthropic = new Anthropic({ apiKey: 'wrong', baseURL: provider.url, maxRetries: 0 });
    await expect(anthropic.messages.create(request)).rejects.toBeInstanceOf(
      AnthropicAuthenticationError,
    );
  });
});

describe('OpenAI SDK against the scripted provider', () => {
  async function client() {
    const provider = await startProvider(scenario);
    return new OpenAI({
      apiKey: upstreamKeys.openai,
      baseURL: `${provider.url}/v1`,
      maxRetries: 0,
    });
  }
  const execCommand = {
    type: 'function' as const,
    name: 'exec_command',
    strict: false,
    parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
  };

  it('accumulates a streamed Responses custom tool call and its usage', async () => {
    const openai = await client();
    const stream = openai.responses.stream({
      model: 'gpt-5.5',
      input: 'Create hello.txt',
      tools: [{ type: 'custom', name: 'apply_patch' }],
    });
    const response = await stream.finalResponse();
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('Creating the file now.');
    expect(response.output.map((item) => item.type)).toEqual(['message', 'custom_tool_call']);
    expect(response.output[1]).toEqual(
      expect.objectContaining({
        name: 'apply_patch',
        input: '*** Begin Patch\n*** Add File: hello.txt\n+hi from agent\n*** End Patch\n',
      }),
    );
    expect(response.usage).toEqual(
      expect.objectContaining({
        input_tokens: 1425,
        input_tokens_details: { cached_tokens: 400 },
        output_tokens: 50,
        total_tokens: 1475,
      }),
    );
  });

  it('accumulates a streamed Responses function call from its argument deltas', async () => {
    const openai = await client();
    const stream = openai.responses.stream({
      model: 'gpt-5.5',
      input: 'Create hello.txt',
      tools: [execCommand],
    });
    const deltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    const call = response.output.find((item) => item.type === 'function_call');
    expect(call?.name).toBe('exec_command');
    expect(deltas.join('')).toBe(call?.arguments);
    expect(JSON.parse(call?.arguments ?? '')).toEqual({
      cmd: "printf '%s' 'hi from agent' > 'hello.txt'",
    });
  });

  it('reads a non-streamed Response final answer', async () => {
    const openai = await client();
    const response = await openai.responses.create({
      model: 'gpt-5.5',
      input: [
        { role: 'user', content: 'Create hello.txt' },
        { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
      ],
      tools: [execCommand],
    });
    expect(response.output_text).toBe('All done, the greeting is in hello.txt.');
  });

  it('streams chat completions with tool-call deltas and a usage chunk', async () => {
    const openai = await client();
    const stream = openai.chat.completions.stream({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'Create hello.txt' }],
      tools: [{ type: 'function', function: { name: 'write_file', parameters: fileSchema } }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBe('Creating the file now.');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function.name : null).toBe('write_file');
    expect(JSON.parse(call?.type === 'function' ? call.function.arguments : '')).toEqual({
      file_path: 'hello.txt',
      content: 'hi from agent',
    });
    expect(completion.usage).toEqual(
      expect.objectContaining({
        prompt_tokens: 1425,
        completion_tokens: 50,
        prompt_tokens_details: { cached_tokens: 400, audio_tokens: 0 },
      }),
    );
  });

  it('reads a non-streamed chat completion and raises AuthenticationError on a wrong key', async () => {
    const openai = await client();
    const completion = await openai.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'Name this thread' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Creating the file now.');
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: openai.baseURL, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAIAuthenticationError);
  });
});

describe('Google Gen AI SDK against the scripted provider', () => {
  async function client(apiKey = upstreamKeys.google) {
    const provider = await startProvider(scenario);
    return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: provider.url } });
  }
  const config = {
    tools: [{ functionDeclarations: [{ name: 'write_file', parametersJsonSchema: fileSchema }] }],
  };

  it('reads the function call, the text and the usage of generateContent', async () => {
    const ai = await client();
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Create hello.txt',
      config,
    });
    expect(response.functionCalls).toEqual([
      { name: 'write_file', args: { file_path: 'hello.txt', content: 'hi from agent' } },
    ]);
    expect(response.usageMetadata).toEqual(
      expect.objectContaining({
        promptTokenCount: 1425,
        candidatesTokenCount: 50,
        totalTokenCount: 1475,
        cachedContentTokenCount: 400,
      }),
    );
  });

  it('streams the final text in chunks with the usage on the last one', async () => {
    const ai = await client();
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Create hello.txt' }] },
        { role: 'model', parts: [{ functionCall: { name: 'write_file', args: {} } }] },
        { role: 'user', parts: [createPartFromFunctionResponse('call_1', 'write_file', {})] },
      ],
      config,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(
      'All done, the greeting is in hello.txt.',
    );
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata?.totalTokenCount).toBe(1475);
  });

  it('counts tokens, lists models and raises ApiError 401 on a wrong key', async () => {
    const ai = await client();
    const counted = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(counted.totalTokens).toBe(1000);
    const pager = await ai.models.list();
    expect(pager.page.map((model) => model.name)).toContain('models/gemini-2.5-flash');

    const wrong = await client('wrong');
    const failure: unknown = await wrong.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(401);
  });
});
