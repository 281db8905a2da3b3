import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/config-schema.ts';
import { createLogger } from '../logging/logger.ts';
import { buildApp } from './build-app.ts';

async function app(bodyLimit = 2048) {
  const config = configSchema.parse({ server: { bodyLimit } });
  const built = await buildApp({ config, logger: createLogger({ level: 'silent' }) });
  built.post('/echo', (request) => request.body);
  return built;
}

describe('buildApp', () => {
  it('answers the health check', async () => {
    const response = await (await app()).inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes with a typed 404 body', async () => {
    const response = await (await app()).inject({ method: 'GET', url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses a body over the configured limit with 413', async () => {
    const response = await (
      await app(2048)
    ).inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'x'.repeat(4096) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers malformed JSON with 400 and a clear code', async () => {
    const response = await (
      await app()
    ).inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"unterminated": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});
