import { describe, expect, it } from 'vitest';
import { readClientHeaders, responseHeaders } from './forward-headers.ts';

describe('readClientHeaders', () => {
  it('takes the token from x-api-key first, then a Bearer authorization, then x-goog-api-key', () => {
    expect(readClientHeaders(['X-Api-Key', 'a', 'Authorization', 'Bearer b']).token).toBe('a');
    expect(readClientHeaders(['authorization', 'bearer  b ', 'x-goog-api-key', 'c']).token).toBe(
      'b',
    );
    expect(readClientHeaders(['authorization', 'Basic b', 'x-goog-api-key', 'c']).token).toBe('c');
    expect(readClientHeaders(['content-type', 'application/json']).token).toBeNull();
    expect(readClientHeaders(['x-api-key', '']).token).toBeNull();
  });

  it('forwards the rest, lower-cased, minus hop-by-hop, cookies, Baton and GitLab headers', () => {
    const { forward } = readClientHeaders([
      'Host',
      'baton',
      'Content-Type',
      'application/json',
      'Anthropic-Beta',
      'x',
      'Connection',
      'keep-alive, X-Secret-Hop',
      'X-Secret-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'Content-Length',
      '12',
      'X-Baton-Run-Id',
      'run-1',
      'X-Gitlab-Unit-Primitive',
      'p',
      'Cookie',
      'c',
      'X-Forwarded-For',
      '10.0.0.1',
      'Accept-Encoding',
      'br',
      'Expect',
      '100-continue',
      'OpenAI-Beta',
      'responses=v1',
    ]);
    expect(forward).toEqual([
      'content-type',
      'application/json',
      'anthropic-beta',
      'x',
      'content-length',
      '12',
      'openai-beta',
      'responses=v1',
    ]);
  });
});

describe('responseHeaders', () => {
  it('drops hop-by-hop headers and cookies and reads the content type and encoding', () => {
    const reply = responseHeaders([
      'Content-Type',
      'text/event-stream; charset=utf-8',
      'Connection',
      'keep-alive',
      'Transfer-Encoding',
      'chunked',
      'Set-Cookie',
      '__cf_bm=1',
      'Content-Encoding',
      'gzip',
      'request-id',
      'req_1',
    ]);
    expect(reply).toEqual({
      headers: [
        'Content-Type',
        'text/event-stream; charset=utf-8',
        'Content-Encoding',
        'gzip',
        'request-id',
        'req_1',
      ],
      contentType: 'text/event-stream; charset=utf-8',
      contentEncoding: 'gzip',
    });
  });
});
