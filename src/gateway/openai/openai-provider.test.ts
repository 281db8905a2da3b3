import { describe, expect, it } from 'vitest';
import { openaiProvider, withStreamUsage } from './openai-provider.ts';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('Chat Completions bodies', () => {
  it('holds only Chat Completions bodies back', () => {
    expect(openaiProvider.route('POST', '/v1/chat/completions')?.holdsBody).toBe(true);
    expect(openaiProvider.route('POST', '/v1/responses')?.holdsBody).toBeUndefined();
    expect(openaiProvider.prepareBody?.('/v1/responses', body({ stream: true }))).toBeNull();
    expect(openaiProvider.prepareBody?.('/v1/chat/completions', body({}))).toEqual({
      body: Buffer.from('{}'),
    });
  });

  it('sends every body as it read it: a stream that asks for usage, and anything else, unchanged in meaning', () => {
    const sent = (value: unknown) => {
      const prepared = withStreamUsage(body(value));
      return 'body' in prepared ? (JSON.parse(prepared.body.toString()) as unknown) : prepared;
    };
    expect(sent({ model: 'gpt-5', stream: false })).toEqual({ model: 'gpt-5', stream: false });
    expect(sent({ model: 'gpt-5' })).toEqual({ model: 'gpt-5' });
    expect(sent({ stream: true, stream_options: { include_usage: true } })).toEqual({
      stream: true,
      stream_options: { include_usage: true },
    });
    // Two `stream` keys: the provider gets the one this check acted on, and only that one.
    const duplicate = withStreamUsage(Buffer.from('{"stream":true,"stream":false}'));
    expect('body' in duplicate && duplicate.body.toString()).toBe('{"stream":false}');
    const duplicateOptions = withStreamUsage(
      Buffer.from('{"stream":true,"stream_options":{"include_usage":false,"include_usage":true}}'),
    );
    expect('body' in duplicateOptions && duplicateOptions.body.toString()).toBe(
      '{"stream":true,"stream_options":{"include_usage":true}}',
    );
  });

  it('asks a stream for its usage, keeping every other field and stream option', () => {
    const prepared = withStreamUsage(
      body({ model: 'gpt-5', stream: true, stream_options: { include_obfuscation: false } }),
    );
    expect('body' in prepared && JSON.parse(prepared.body.toString())).toEqual({
      model: 'gpt-5',
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
    });
    // A key spelt with escapes is the same key to JSON, and so to the provider.
    const escaped = withStreamUsage(Buffer.from('{"str\\u0065am":true}'));
    expect('body' in escaped && escaped.body.toString()).toBe(
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
    // A provider that coerces types would take these for a stream.
    for (const stream of [1, 'true', {}]) {
      expect(withStreamUsage(body({ stream }))).toEqual({
        refusal: '`stream` must be true or false',
      });
    }
  });
});
