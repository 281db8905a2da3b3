import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { claudeCodeBody, workDir } from './claude-codex-request-bodies.ts';
import { opencodeChatBody } from './opencode-gemini-request-bodies.ts';
import {
  anthropicHeaders,
  googleHeaders,
  openaiHeaders,
  post,
  postJson,
  startProvider,
} from './provider-fixture.ts';
import { readServerSentEvents } from './server-sent-events.ts';
import { startScriptedProvider } from './scripted-provider.ts';

const batonPrompt = [
  'You are Claude Code, working in a clone of the GitLab project acme/shop (the current directory).',
  '## Task',
  '@alice wrote this comment on the issue, mentioning you:',
  '@claude add a CONTRIBUTING.md that explains how to run the tests',
  '## Context',
  '<context>\n{}\n</context>',
].join('\n\n');

function toolUse(body: Record<string, unknown>): { name: string; input: Record<string, string> } {
  const content = body['content'] as {
    type: string;
    name: string;
    input: Record<string, string>;
  }[];
  const block = content.find((candidate) => candidate.type === 'tool_use');
  if (block === undefined) throw new Error('no tool_use block');
  return block;
}

function text(body: Record<string, unknown>): string {
  const content = body['content'] as { type: string; text: string }[];
  return content.find((block) => block.type === 'text')?.text ?? '';
}

describe('scripted provider', () => {
  it('is the clearly labelled demo model: writes BATON_DEMO.md with the task, then says what it is', async () => {
    const provider = await startProvider('demo');
    const first = await postJson(
      provider,
      '/v1/messages',
      claudeCodeBody({ stream: false, prompt: batonPrompt }),
      anthropicHeaders,
    );
    expect(text(first.body)).toContain('not a real AI model');
    const call = toolUse(first.body);
    expect(call.name).toBe('Write');
    expect(call.input['file_path']).toBe(`${workDir}/BATON_DEMO.md`);
    expect(call.input['content']).toContain("written by Baton's demo model");
    expect(call.input['content']).toContain('not a real AI model');
    expect(call.input['content']).toContain(
      '> @alice wrote this comment on the issue, mentioning you: @claude add a CONTRIBUTING.md that explains how to run the tests\n',
    );

    const last = await postJson(
      provider,
      '/v1/messages',
      claudeCodeBody({ stream: false, prompt: batonPrompt, toolResults: 1 }),
      anthropicHeaders,
    );
    expect(text(last.body)).toMatch(/^This is Baton's demo model, not a real AI model: /);
    expect(text(last.body)).toContain('@claude add a CONTRIBUTING.md');
  });

  it('answers a retried request exactly like the first time (no state between requests)', async () => {
    const provider = await startProvider('write-hello');
    const body = claudeCodeBody({ stream: false });
    const first = await postJson(provider, '/v1/messages', body, anthropicHeaders);
    const retry = await postJson(provider, '/v1/messages', body, anthropicHeaders);
    expect(toolUse(retry.body).input).toEqual(toolUse(first.body).input);
    expect(provider.requests).toHaveLength(2);
  });

  it('records every request with protocol, path, headers, parsed body, stream flag and model', async () => {
    const provider = await startProvider('answer-question');
    const body = opencodeChatBody({ stream: false });
    await postJson(provider, '/v1/chat/completions', body, {
      ...openaiHeaders,
      'x-session-id': 'ses_1',
    });
    await postJson(provider, '/v1/chat/completions', '{', openaiHeaders);
    expect(provider.requests).toEqual([
      {
        protocol: 'openai-chat',
        method: 'POST',
        path: '/v1/chat/completions',
        headers: expect.objectContaining({ 'x-session-id': 'ses_1' }) as unknown,
        body,
        stream: false,
        model: 'fake-model',
      },
      expect.objectContaining({ body: '{', model: null, stream: false }),
    ]);
  });

  it('answers unknown paths with 404 in the shape of the provider the path belongs to', async () => {
    const provider = await startProvider('answer-question');
    const openai = await postJson(provider, '/v1/embeddings', {}, openaiHeaders);
    expect(openai).toEqual({
      status: 404,
      body: {
        error: {
          message: 'Invalid URL (POST /v1/embeddings)',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
    const anthropic = await postJson(provider, '/v1/messages/batches', {}, anthropicHeaders);
    expect(anthropic.status).toBe(404);
    expect(anthropic.body['error']).toEqual({ type: 'not_found_error', message: 'Not Found' });
    const google = await postJson(provider, '/v1beta/files', {}, googleHeaders);
    expect(google.body).toEqual({
      error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
    });
    expect(provider.requests.map((request) => request.protocol)).toEqual([
      'openai-chat',
      'anthropic',
      'google',
    ]);
  });

  it('switches scenario for later requests', async () => {
    const provider = await startProvider('write-hello');
    provider.setScenario({ name: 'now', turns: [{ text: 'switched ({{model}})' }] });
    const { body } = await postJson(
      provider,
      '/v1/messages',
      claudeCodeBody({ stream: false }),
      anthropicHeaders,
    );
    expect(text(body)).toBe('switched (claude-opus-5-5)');
    expect(() => {
      provider.setScenario({ name: 'bad', turns: [] });
    }).toThrow(/not a valid scenario/);
  });

  it('accepts any key for a protocol whose key is not configured', async () => {
    const provider = await startScriptedProvider({
      keys: { openai: 'only-openai' },
      scenario: { name: 'x', turns: [{ text: 'ok' }] },
    });
    try {
      const response = await post(provider, '/v1/messages', claudeCodeBody({ stream: false }), {
        'x-api-key': 'anything',
      });
      expect(response.status).toBe(200);
    } finally {
      await provider.close();
    }
  });

  it('reads a gzip-compressed request body', async () => {
    const provider = await startProvider('write-hello');
    const response = await fetch(`${provider.url}/v1/messages`, {
      method: 'POST',
      headers: { ...anthropicHeaders, 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(claudeCodeBody({ stream: false }))),
    });
    expect(response.status).toBe(200);
    expect(toolUse((await response.json()) as Record<string, unknown>).name).toBe('Write');
  });

  it('waits out a delay turn before answering', async () => {
    const provider = await startProvider({
      name: 'slow',
      turns: [{ delayMs: 120, then: { delayMs: 80, then: { text: 'late' } } }],
    });
    const started = performance.now();
    const { body } = await postJson(
      provider,
      '/v1/messages',
      claudeCodeBody({ stream: false }),
      anthropicHeaders,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(text(body)).toBe('late');
  });

  it('closes at once even while a request waits out a long delay', async () => {
    const provider = await startScriptedProvider({
      keys: {},
      scenario: { name: 'hang', turns: [{ delayMs: 600_000, then: { text: 'never' } }] },
    });
    const pending = post(provider, '/v1/messages', claudeCodeBody(), anthropicHeaders);
    await vi.waitFor(() => {
      expect(provider.requests).toHaveLength(1);
    });
    const started = performance.now();
    await provider.close();
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(pending).rejects.toThrow();
  });

  it('writes each event as it goes, chunkDelayMs apart, instead of buffering the stream', async () => {
    const chunkDelayMs = 30;
    const provider = await startProvider({
      name: 'slow-stream',
      chunkDelayMs,
      turns: [{ text: 'one two three four five six seven eight nine ten eleven twelve' }],
    });
    const response = await post(
      provider,
      '/v1/chat/completions',
      opencodeChatBody(),
      openaiHeaders,
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const arrivals: { at: number; text: string }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: performance.now(), text: decoder.decode(value, { stream: true }) });
    }
    const events = await readServerSentEvents(new Response(arrivals.map((a) => a.text).join('')));
    expect(events.length).toBeGreaterThanOrEqual(6);
    const first = arrivals[0];
    const last = arrivals.at(-1);
    if (first === undefined || last === undefined) throw new Error('no data');
    expect(first.text.startsWith('data: ')).toBe(true);
    // The first event was readable long before the last was written.
    expect(last.at - first.at).toBeGreaterThanOrEqual(chunkDelayMs * (events.length - 2));
    expect(arrivals.length).toBeGreaterThan(1);
  });
});
