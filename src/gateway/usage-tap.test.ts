import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { anthropicProvider } from './anthropic/anthropic-provider.ts';
import type { GatewayProvider, MeteredUsage } from './gateway-provider.ts';
import { googleProvider } from './google/google-provider.ts';
import { openaiProvider } from './openai/openai-provider.ts';
import { UsageTap } from './usage-tap.ts';

/**
 * Streams in the shapes the providers document (Anthropic's Messages streaming, OpenAI's
 * Responses and Chat Completions streaming, Gemini's `alt=sse`), trimmed to what metering reads.
 */
const sse = (events: [string | null, unknown][]) =>
  events
    .map(
      ([name, data]) =>
        `${name === null ? '' : `event: ${name}\n`}data: ${JSON.stringify(data)}\n\n`,
    )
    .join('');

const anthropicStream = sse([
  [
    'message_start',
    {
      type: 'message_start',
      message: {
        id: 'msg_1',
        model: 'claude-sonnet-4-5-20250929',
        usage: {
          input_tokens: 12,
          cache_creation_input_tokens: 40,
          cache_read_input_tokens: 1000,
          output_tokens: 1,
        },
      },
    },
  ],
  ['ping', { type: 'ping' }],
  [
    'content_block_delta',
    {
      type: 'content_block_delta',
      index: 0,
      // Text that looks like a usage object must not be taken for one.
      delta: { type: 'text_delta', text: '{"usage":{"input_tokens":999999}} — héllo ✓' },
    },
  ],
  [
    'message_delta',
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 87 } },
  ],
  ['message_stop', { type: 'message_stop' }],
]);

const responsesStream = sse([
  [
    'response.created',
    { type: 'response.created', response: { id: 'resp_1', model: 'gpt-5', usage: null } },
  ],
  ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'done' }],
  [
    'response.completed',
    {
      type: 'response.completed',
      response: {
        id: 'resp_1',
        model: 'gpt-5-2025-08-07',
        usage: {
          input_tokens: 500,
          input_tokens_details: { cached_tokens: 200 },
          output_tokens: 30,
          output_tokens_details: { reasoning_tokens: 10 },
        },
      },
    },
  ],
]);

const chatStream = `${sse([
  [null, { id: 'c1', model: 'gpt-4.1', choices: [{ delta: { content: 'do' } }], usage: null }],
  [null, { id: 'c1', model: 'gpt-4.1', choices: [{ delta: { content: 'ne' } }], usage: null }],
  [
    null,
    {
      id: 'c1',
      model: 'gpt-4.1',
      choices: [],
      usage: {
        prompt_tokens: 70,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 64 },
      },
    },
  ],
])}data: [DONE]\n\n`;

const geminiStream = sse([
  [
    null,
    {
      candidates: [{ content: { parts: [{ text: 'do' }] } }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1 },
      modelVersion: 'gemini-2.5-flash',
    },
  ],
  [
    null,
    {
      candidates: [{ content: { parts: [{ text: 'ne' }] }, finishReason: 'STOP' }],
      usageMetadata: {
        promptTokenCount: 110,
        candidatesTokenCount: 2,
        thoughtsTokenCount: 20,
        cachedContentTokenCount: 100,
      },
      modelVersion: 'gemini-2.5-flash',
    },
  ],
]).replaceAll('\n', '\r\n');

const cases: [string, GatewayProvider, string, MeteredUsage][] = [
  [
    'Anthropic',
    anthropicProvider,
    anthropicStream,
    {
      model: 'claude-sonnet-4-5-20250929',
      inputTokens: 12,
      outputTokens: 87,
      cacheReadTokens: 1000,
      cacheWriteTokens: 40,
    },
  ],
  [
    'OpenAI Responses',
    openaiProvider,
    responsesStream,
    {
      model: 'gpt-5-2025-08-07',
      inputTokens: 300,
      outputTokens: 30,
      cacheReadTokens: 200,
      cacheWriteTokens: 0,
    },
  ],
  [
    'OpenAI Chat',
    openaiProvider,
    chatStream,
    { model: 'gpt-4.1', inputTokens: 6, outputTokens: 5, cacheReadTokens: 64, cacheWriteTokens: 0 },
  ],
  [
    'Gemini (CRLF lines)',
    googleProvider,
    geminiStream,
    {
      model: 'gemini-2.5-flash',
      inputTokens: 10,
      outputTokens: 22,
      cacheReadTokens: 100,
      cacheWriteTokens: 0,
    },
  ],
];

function tapStream(provider: GatewayProvider, chunks: Buffer[], contentEncoding?: string) {
  const tap = new UsageTap(provider, { events: true, contentEncoding });
  for (const chunk of chunks) tap.write(chunk);
  return tap.result();
}

describe('UsageTap on event streams', () => {
  for (const [label, provider, stream, expected] of cases) {
    it(`reads ${label} usage whole, byte by byte, and split at every offset`, () => {
      const bytes = Buffer.from(stream);
      expect(tapStream(provider, [bytes])).toEqual(expected);
      expect(
        tapStream(
          provider,
          [...bytes].map((b) => Buffer.from([b])),
        ),
      ).toEqual(expected);
      for (let cut = 1; cut < bytes.length; cut += 1) {
        const halves = [bytes.subarray(0, cut), bytes.subarray(cut)];
        expect(tapStream(provider, halves), `cut at ${cut}`).toEqual(expected);
      }
    });
  }

  it('reads a stream whose last line has no newline', () => {
    const stream = responsesStream.trimEnd();
    expect(tapStream(openaiProvider, [Buffer.from(stream)])?.outputTokens).toBe(30);
  });

  it('reads a compressed stream at its end', () => {
    const gzipped = gzipSync(Buffer.from(anthropicStream));
    expect(tapStream(anthropicProvider, [gzipped], 'gzip')?.outputTokens).toBe(87);
  });

  it('gives null for a stream with no usage (chat without include_usage)', () => {
    const stream = sse([
      [null, { id: 'c1', model: 'gpt-4.1', choices: [{ delta: { content: 'x' } }] }],
    ]);
    expect(tapStream(openaiProvider, [Buffer.from(stream)])).toBeNull();
  });
});

describe('UsageTap on whole replies', () => {
  it('reads an Anthropic Message, an OpenAI Response and a chat completion', () => {
    const tap = (provider: GatewayProvider, body: unknown, encoding?: string) => {
      const t = new UsageTap(provider, { events: false, contentEncoding: encoding });
      const bytes = Buffer.from(JSON.stringify(body));
      const data = encoding === 'gzip' ? gzipSync(bytes) : bytes;
      t.write(data.subarray(0, 7));
      t.write(data.subarray(7));
      return t.result();
    };
    expect(
      tap(anthropicProvider, {
        model: 'claude-haiku-4-5',
        usage: { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 5 },
      }),
    ).toEqual({
      model: 'claude-haiku-4-5',
      inputTokens: 3,
      outputTokens: 4,
      cacheReadTokens: 5,
      cacheWriteTokens: 0,
    });
    expect(
      tap(openaiProvider, { model: 'gpt-5', usage: { input_tokens: 9, output_tokens: 1 } }, 'gzip'),
    ).toMatchObject({ inputTokens: 9, outputTokens: 1 });
    expect(
      tap(openaiProvider, {
        model: 'gpt-4o',
        usage: { prompt_tokens: 9, completion_tokens: 2, prompt_tokens_details: null },
      }),
    ).toMatchObject({ model: 'gpt-4o', inputTokens: 9, outputTokens: 2, cacheReadTokens: 0 });
    expect(tap(openaiProvider, { error: { message: 'nope' } })).toBeNull();
    expect(
      tap(googleProvider, [{ usageMetadata: { promptTokenCount: 1 } }, { candidates: [] }]),
    ).toMatchObject({ inputTokens: 1 });
  });

  it('gives null for a body that is not JSON, and ignores counts that are not numbers', () => {
    const tap = new UsageTap(anthropicProvider, { events: false, contentEncoding: undefined });
    tap.write(Buffer.from('<html>bad gateway</html>'));
    expect(tap.result()).toBeNull();
    expect(
      anthropicProvider.usageFromJson({
        model: 'x',
        usage: { input_tokens: '12', output_tokens: -3 },
      }),
    ).toEqual({
      model: 'x',
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });
});
