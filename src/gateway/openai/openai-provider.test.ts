import { describe, expect, it } from 'vitest';
import { openaiProvider, withStreamUsage } from './openai-provider.ts';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('Chat Completions bodies', () => {
  it('holds only Chat Completions bodies back', () => {
    expect(openaiProvider.route('POST', '/v1/chat/completions')?.holdsBody).toBe(true);
    expect(openaiProvider.route('POST', '/v1/responses')?.holdsBody).toBeUndefined();
    expect(openaiProvider.prepareBody?.('/v1/responses', body({ stream: true }))).toBeNull();
  });

  it('leaves a request alone that is not streamed or already asks for usage', () => {
    expect(withStreamUsage(body({ model: 'gpt-5', stream: false }))).toBeNull();
    expect(withStreamUsage(body({ model: 'gpt-5' }))).toBeNull();
    expect(
      withStreamUsage(body({ stream: true, stream_options: { include_usage: true } })),
    ).toBeNull();
  });

  it('asks a stream for its usage, keeping every other field and stream option', () => {
    const prepared = withStreamUsage(
      body({ model: 'gpt-5', stream: true, stream_options: { include_obfuscation: false } }),
    );
    expect(prepared).not.toBeNull();
    expect(prepared !== null && 'body' in prepared && JSON.parse(prepared.body.toString())).toEqual(
      {
        model: 'gpt-5',
        stream: true,
        stream_options: { include_obfuscation: false, include_usage: true },
      },
    );
    // A key spelt with escapes is the same key to JSON, and so to the provider.
    const escaped = withStreamUsage(Buffer.from('{"str\\u0065am":true}'));
    expect(escaped !== null && 'body' in escaped && escaped.body.toString()).toBe(
      '{"stream":true,"stream_options":{"include_usage":true}}',
    );
  });

  it('refuses what it cannot check', () => {
    expect(withStreamUsage(Buffer.from('{"stream":true'))).toEqual({
      refusal: 'the request body is not a JSON object',
    });
    expect(withStreamUsage(body([1, 2]))).toEqual({
      refusal: 'the request body is not a JSON object',
    });
    expect(withStreamUsage(body({ stream: true, stream_options: 'yes' }))).toEqual({
      refusal: '`stream_options` must be an object',
    });
  });
});
