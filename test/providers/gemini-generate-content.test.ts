import { describe, expect, it } from 'vitest';
import { geminiBody, geminiRouterBody } from './opencode-gemini-request-bodies.ts';
import { googleHeaders, post, postJson, startProvider, upstreamKeys } from './provider-fixture.ts';
import { eventData, readServerSentEvents } from './server-sent-events.ts';
import type { Scenario } from './scripted-provider.ts';

const writeHello: Scenario = {
  name: 'write-hello',
  turns: [
    { write: { path: 'hello.txt', content: 'hi from agent' } },
    { shell: 'git status' },
    { text: 'All done: hello.txt holds the greeting and git sees it.' },
  ],
  usage: { input: 700, output: 30, cacheRead: 200 },
};

const streamPath = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';

const expectedUsage = {
  promptTokenCount: 900,
  candidatesTokenCount: 30,
  totalTokenCount: 930,
  cachedContentTokenCount: 200,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 900 }],
};

async function streamChunks(body: unknown, scenario: Scenario = writeHello) {
  const provider = await startProvider(scenario);
  const response = await post(provider, streamPath, body, googleHeaders);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events = await readServerSentEvents(response);
  for (const event of events) expect(event.event).toBeNull();
  return { provider, chunks: eventData(events) };
}

type Candidate = {
  content: { role: string; parts: Record<string, unknown>[] };
  finishReason?: string;
};
const candidate = (chunk: Record<string, unknown> | undefined): Candidate =>
  (chunk?.['candidates'] as Candidate[])[0] as Candidate;

describe('Gemini v1beta', () => {
  it('streams a write_file call as one final chunk with finishReason and usageMetadata', async () => {
    const { chunks, provider } = await streamChunks(geminiBody());
    expect(chunks).toEqual([
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                {
                  functionCall: {
                    name: 'write_file',
                    args: { file_path: 'hello.txt', content: 'hi from agent' },
                  },
                },
              ],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: expectedUsage,
        modelVersion: 'gemini-2.5-flash',
        responseId: expect.any(String) as unknown,
      },
    ]);
    expect(provider.requests[0]).toEqual(
      expect.objectContaining({
        protocol: 'google',
        path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
        model: 'gemini-2.5-flash',
        stream: true,
      }),
    );
  });

  it('picks the turn by the functionResponse parts in the history', async () => {
    const second = await streamChunks(geminiBody({ toolResults: 1 }));
    expect(candidate(second.chunks[0]).content.parts).toEqual([
      {
        functionCall: {
          name: 'run_shell_command',
          args: { command: 'git status', description: 'Run the scripted command' },
        },
      },
    ]);

    const last = await streamChunks(geminiBody({ toolResults: 2 }));
    expect(last.chunks.length).toBeGreaterThan(1);
    for (const chunk of last.chunks.slice(0, -1)) {
      expect(candidate(chunk).finishReason).toBeUndefined();
      expect(chunk).not.toHaveProperty('usageMetadata');
    }
    const final = last.chunks.at(-1);
    expect(candidate(final).finishReason).toBe('STOP');
    expect(final?.['usageMetadata']).toEqual(expectedUsage);
    const text = last.chunks.map((chunk) => candidate(chunk).content.parts[0]?.['text']);
    for (const piece of text) expect(piece).not.toBe('');
    expect(text.join('')).toBe('All done: hello.txt holds the greeting and git sees it.');
  });

  it('says which tools were missing when the approval mode hides write_file and the shell', async () => {
    const { chunks } = await streamChunks(geminiBody({ readOnly: true }));
    const text = chunks.map((chunk) => candidate(chunk).content.parts[0]?.['text']).join('');
    expect(text).toMatch(
      /^Scripted provider: no offered tool can write hello.txt \(tools: list_directory/,
    );
  });

  it("answers the auto router's JSON-schema request with the routing JSON", async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(
      provider,
      '/v1beta/models/gemini-3.5-flash-lite:generateContent',
      geminiRouterBody(),
      googleHeaders,
    );
    expect(status).toBe(200);
    const text = candidate(body).content.parts[0]?.['text'] as string;
    expect(JSON.parse(text)).toEqual({ complexity_reasoning: 'simple', complexity_score: 1 });
    expect(body['usageMetadata']).toEqual(expectedUsage);
    expect(provider.requests[0]?.stream).toBe(false);
  });

  it('answers generateContent with the whole turn in one response', async () => {
    const provider = await startProvider({
      name: 'say-and-write',
      turns: [{ write: { path: 'a.md', content: '# A' }, say: 'Writing a.md.' }],
    });
    const { body } = await postJson(
      provider,
      '/v1beta/models/gemini-2.5-pro:generateContent',
      geminiBody(),
      googleHeaders,
    );
    expect(candidate(body)).toEqual({
      content: {
        role: 'model',
        parts: [
          { text: 'Writing a.md.' },
          { functionCall: { name: 'write_file', args: { file_path: 'a.md', content: '# A' } } },
        ],
      },
      finishReason: 'STOP',
      index: 0,
    });
  });

  it('streams a JSON array when alt=sse is absent', async () => {
    const provider = await startProvider(writeHello);
    const response = await post(
      provider,
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
      geminiBody({ toolResults: 2 }),
      googleHeaders,
    );
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const chunks = (await response.json()) as Record<string, unknown>[];
    expect(chunks.length).toBeGreaterThan(1);
    expect(candidate(chunks.at(-1)).finishReason).toBe('STOP');
  });

  it('accepts the key in x-goog-api-key or ?key= and refuses others with UNAUTHENTICATED', async () => {
    const provider = await startProvider(writeHello);
    const inQuery = await post(provider, `${streamPath}&key=${upstreamKeys.google}`, geminiBody(), {
      'content-type': 'application/json',
    });
    expect(inQuery.status).toBe(200);
    await inQuery.text();
    const wrong = await postJson(provider, streamPath, geminiBody(), {
      'x-goog-api-key': 'wrong',
    });
    expect(wrong).toEqual({
      status: 401,
      body: {
        error: {
          code: 401,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'UNAUTHENTICATED',
        },
      },
    });
    const missing = await postJson(provider, streamPath, geminiBody(), {});
    expect(missing.status).toBe(401);
    expect((missing.body['error'] as { status: string }).status).toBe('UNAUTHENTICATED');
    expect(provider.requests.every((request) => !request.path.includes('key='))).toBe(true);
  });

  it('fails an error turn with the Google status name', async () => {
    const provider = await startProvider({
      name: 'quota',
      turns: [{ error: { status: 429, message: 'Resource has been exhausted' } }],
    });
    const { status, body } = await postJson(provider, streamPath, geminiBody(), googleHeaders);
    expect(status).toBe(429);
    expect(body).toEqual({
      error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' },
    });
  });

  it('answers malformed JSON with 400 INVALID_ARGUMENT', async () => {
    const provider = await startProvider(writeHello);
    const { status, body } = await postJson(provider, streamPath, '{"contents":[', googleHeaders);
    expect(status).toBe(400);
    expect((body['error'] as { status: string }).status).toBe('INVALID_ARGUMENT');
  });

  it('counts tokens and lists models', async () => {
    const provider = await startProvider(writeHello);
    const counted = await postJson(
      provider,
      '/v1beta/models/gemini-2.5-flash:countTokens',
      { contents: geminiBody().contents },
      googleHeaders,
    );
    expect(counted.body).toEqual({
      totalTokens: 700,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 700 }],
    });
    const list = await fetch(`${provider.url}/v1beta/models`, { headers: googleHeaders });
    const models = (await list.json()) as { models: { name: string }[] };
    expect(models.models.map((model) => model.name)).toContain('models/gemini-2.5-flash');
    const one = await fetch(`${provider.url}/v1beta/models/gemini-9-x`, { headers: googleHeaders });
    expect(((await one.json()) as { name: string }).name).toBe('models/gemini-9-x');
  });
});
