import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { hashToken } from './grant-registry.ts';
import {
  connectionId,
  instanceKeys,
  projectPath,
  useGatewayTestbed,
  type TestGateway,
} from './gateway-test-kit.ts';
import { startScriptedProvider } from '../../test/providers/scripted-provider.ts';
import { meteredUsage } from './provider-cases.ts';

const anthropicBody = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hi' }],
});
const geminiBody = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });

function post(gateway: TestGateway, path: string, headers: Record<string, string>, body: string) {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

function anthropicMessage(body: unknown): string {
  return (body as { type: string; error: { type: string; message: string } }).error.message;
}

describeEachDatabase('gateway authentication and keys', (getDatabase) => {
  const { upstream, withGateway } = useGatewayTestbed(getDatabase);

  it('mints a random token stored only as its hash, with the run id header', async () => {
    await withGateway({}, async (gateway) => {
      const granted = await gateway.service.grant({
        runId: 'run-1',
        connectionId,
        projectPath,
        expiresAt: new Date(Date.now() + 60_000),
      });
      const again = await gateway.service.grant({
        runId: 'run-2',
        connectionId,
        projectPath,
        expiresAt: new Date(Date.now() + 60_000),
      });

      expect(granted.token).toMatch(/^baton-gw-[A-Za-z0-9_-]{43}$/);
      expect(again.token).not.toBe(granted.token);
      expect(granted.headers).toEqual({ 'X-Baton-Run-Id': 'run-1' });
      const rows = await getDatabase().db.selectFrom('gateway_grants').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(granted.token);
      expect(rows.find((r) => r.run_id === 'run-1')?.token_hash).toBe(hashToken(granted.token));
    });
  });

  it('accepts the run token from x-api-key, Authorization: Bearer, x-goog-api-key and ?key=', async () => {
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const styles: [string, Record<string, string>, string][] = [
        ['/gateway/anthropic/v1/messages', { 'x-api-key': token }, anthropicBody],
        ['/gateway/anthropic/v1/messages', { authorization: `Bearer ${token}` }, anthropicBody],
        [
          '/gateway/google/v1beta/models/gemini-2.5-flash:generateContent',
          { 'x-goog-api-key': token },
          geminiBody,
        ],
        [
          `/gateway/google/v1beta/models/gemini-2.5-flash:generateContent?key=${token}`,
          {},
          geminiBody,
        ],
      ];
      for (const [path, headers, body] of styles) {
        const before = upstream().requests.length;
        const response = await post(gateway, path, headers, body);
        expect(response.status, `${path} ${Object.keys(headers).join()}`).toBe(200);
        const seen = upstream().requests[before];
        expect(JSON.stringify(seen?.headers)).not.toContain(token);
      }
      expect((await gateway.service.usage('run-1')).calls).toBe(4);
    });
  });

  it('refuses a missing, an expired and a revoked token with 401 saying which', async () => {
    await withGateway({}, async (gateway) => {
      const expired = await gateway.grantRun('run-old', { expiresAt: new Date(Date.now() - 1) });
      const revoked = await gateway.grantRun('run-done');
      await gateway.service.revoke('run-done');
      await gateway.service.revoke('run-done');
      const before = upstream().requests.length;

      const missing = await post(gateway, '/gateway/anthropic/v1/messages', {}, anthropicBody);
      expect(missing.status).toBe(401);
      expect(anthropicMessage(await missing.json())).toMatch(/missing gateway token/);
      const late = await post(
        gateway,
        '/gateway/anthropic/v1/messages',
        { 'x-api-key': expired },
        anthropicBody,
      );
      expect(late.status).toBe(401);
      expect(anthropicMessage(await late.json())).toMatch(/token of run run-old has expired/);
      const ended = await post(
        gateway,
        '/gateway/anthropic/v1/messages',
        { authorization: `Bearer ${revoked}` },
        anthropicBody,
      );
      expect(ended.status).toBe(401);
      expect(anthropicMessage(await ended.json())).toMatch(/run-done was revoked/);
      expect(upstream().requests.length).toBe(before);
      const row = await getDatabase()
        .db.selectFrom('gateway_grants')
        .select('revoked_at')
        .where('run_id', '=', 'run-done')
        .executeTakeFirst();
      expect(row?.revoked_at).toBeInstanceOf(Date);
    });
  });

  it('keeps a live token working across a restart, and a revoked one refused', async () => {
    await withGateway({}, async (gateway) => {
      const live = await gateway.grantRun('run-live');
      const ended = await gateway.grantRun('run-ended');
      await gateway.service.revoke('run-ended');
      const restarted = await gateway.restart();
      try {
        const ok = await post(
          restarted,
          '/gateway/anthropic/v1/messages',
          { 'x-api-key': live },
          anthropicBody,
        );
        expect(ok.status).toBe(200);
        const refused = await post(
          restarted,
          '/gateway/anthropic/v1/messages',
          { 'x-api-key': ended },
          anthropicBody,
        );
        expect(refused.status).toBe(401);
      } finally {
        await restarted.close();
      }
    });
  });

  it('sends the project’s own key over the instance key, resolved when the run is granted', async () => {
    const projectKey = 'sk-ant-project-own-key-1234';
    const strict = await startScriptedProvider({
      keys: { anthropic: projectKey, openai: instanceKeys.openai },
      scenario: { name: 'hi', turns: [{ text: 'hi there' }] },
    });
    try {
      await withGateway({ upstreamUrl: strict.url }, async (gateway) => {
        await gateway.variables.set({
          connectionId,
          scope: { type: 'group', path: 'demo' },
          key: 'ANTHROPIC_API_KEY',
          value: projectKey,
        });
        const token = await gateway.grantRun('run-1');
        const response = await post(
          gateway,
          '/gateway/anthropic/v1/messages',
          { 'x-api-key': token },
          anthropicBody,
        );
        expect(response.status).toBe(200);
        expect(strict.requests.at(-1)?.headers['x-api-key']).toBe(projectKey);
        // No OPENAI_API_KEY variable: the instance key is used for OpenAI.
        const models = await fetch(`${gateway.url}/gateway/openai/v1/models`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(models.status).toBe(200);
        expect(strict.requests.at(-1)?.headers['authorization']).toBe(
          `Bearer ${instanceKeys.openai}`,
        );
      });
    } finally {
      await strict.close();
    }
  });

  it('answers 403 naming the variable to set when no key is configured anywhere', async () => {
    await withGateway({ keys: null }, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const before = upstream().requests.length;
      const response = await post(
        gateway,
        '/gateway/anthropic/v1/messages',
        { 'x-api-key': token },
        anthropicBody,
      );

      expect(response.status).toBe(403);
      expect(anthropicMessage(await response.json())).toMatch(
        /^no provider key configured for anthropic: set ANTHROPIC_API_KEY as a variable of project demo\/app/,
      );
      const google = await post(
        gateway,
        '/gateway/google/v1beta/models/gemini-2.5-flash:generateContent',
        { 'x-goog-api-key': token },
        geminiBody,
      );
      expect(google.status).toBe(403);
      expect(await google.json()).toMatchObject({
        error: { code: 403, status: 'PERMISSION_DENIED', message: /GEMINI_API_KEY/ },
      });
      expect(upstream().requests.length).toBe(before);
    });
  });

  it('forwards what the CLIs send and drops hop-by-hop, cookie, Baton and GitLab headers', async () => {
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const before = upstream().requests.length;
      const response = await post(
        gateway,
        '/gateway/anthropic/v1/messages?beta=true',
        {
          authorization: `Bearer ${token}`,
          'anthropic-version': '2023-06-01',
          'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
          'user-agent': 'claude-cli/2.1.331 (external, sdk-cli)',
          'x-claude-code-session-id': 'session-1',
          'x-baton-run-id': 'run-1',
          'x-gitlab-unit-primitive': 'ai_gateway_model_provider_proxy',
          'x-gitlab-project-id': '7',
          cookie: 'session=abc',
          'accept-encoding': 'gzip, br',
          'x-forwarded-for': '10.0.0.1',
        },
        anthropicBody,
      );
      expect(response.status).toBe(200);
      const seen = upstream().requests[before];
      expect(seen?.path).toBe('/v1/messages');
      expect(seen?.headers).toMatchObject({
        'x-api-key': instanceKeys.anthropic,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
        'user-agent': 'claude-cli/2.1.331 (external, sdk-cli)',
        'x-claude-code-session-id': 'session-1',
        'content-type': 'application/json',
        'accept-encoding': 'identity',
      });
      for (const dropped of [
        'authorization',
        'x-baton-run-id',
        'x-gitlab-unit-primitive',
        'x-gitlab-project-id',
        'cookie',
        'x-forwarded-for',
      ]) {
        expect(seen?.headers, dropped).not.toHaveProperty(dropped);
      }
    });
  });

  it('forwards a request body that arrives in chunks, without a content-length', async () => {
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const before = upstream().requests.length;
      const encoder = new TextEncoder();
      const pieces = [
        anthropicBody.slice(0, 20),
        anthropicBody.slice(20, 50),
        anthropicBody.slice(50),
      ];
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const piece of pieces) controller.enqueue(encoder.encode(piece));
          controller.close();
        },
      });
      const response = await fetch(`${gateway.url}/gateway/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': token },
        body,
        duplex: 'half',
      });

      expect(response.status).toBe(200);
      expect(upstream().requests[before]?.body).toEqual(JSON.parse(anthropicBody));
      expect(upstream().requests[before]?.headers['transfer-encoding']).toBe('chunked');
    });
  });

  it('serves every route: token counts, model lists, Gemini’s JSON-array stream', async () => {
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const count = await post(
        gateway,
        '/gateway/anthropic/v1/messages/count_tokens',
        { 'x-api-key': token },
        JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(count.status).toBe(200);
      expect(await count.json()).toEqual({ input_tokens: meteredUsage.input });
      const openaiModels = await fetch(`${gateway.url}/gateway/openai/v1/models`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(openaiModels.status).toBe(200);
      expect(await openaiModels.json()).toMatchObject({ object: 'list' });
      const googleModels = await fetch(`${gateway.url}/gateway/google/v1beta/models`, {
        headers: { 'x-goog-api-key': token },
      });
      expect(googleModels.status).toBe(200);
      expect(await googleModels.json()).toHaveProperty('models');
      const countTokens = await post(
        gateway,
        '/gateway/google/v1beta/models/gemini-2.5-flash:countTokens',
        { 'x-goog-api-key': token },
        geminiBody,
      );
      expect(countTokens.status).toBe(200);
      expect(await countTokens.json()).toMatchObject({ totalTokens: meteredUsage.input });
      const arrayStream = await post(
        gateway,
        '/gateway/google/v1beta/models/gemini-2.5-flash:streamGenerateContent',
        { 'x-goog-api-key': token },
        geminiBody,
      );
      expect(arrayStream.status).toBe(200);
      expect(Array.isArray(await arrayStream.json())).toBe(true);

      // Counting and listing are recorded but not metered; the generation is.
      const usage = await gateway.service.usage('run-1');
      expect(usage).toMatchObject({ calls: 5, inputTokens: 1000, outputTokens: 200 });
      const paths = await getDatabase()
        .db.selectFrom('gateway_calls')
        .select(['provider', 'method', 'path', 'streaming'])
        .orderBy('id')
        .execute();
      expect(paths).toEqual([
        {
          provider: 'anthropic',
          method: 'POST',
          path: '/v1/messages/count_tokens',
          streaming: false,
        },
        { provider: 'openai', method: 'GET', path: '/v1/models', streaming: false },
        { provider: 'google', method: 'GET', path: '/v1beta/models', streaming: false },
        {
          provider: 'google',
          method: 'POST',
          path: '/v1beta/models/gemini-2.5-flash:countTokens',
          streaming: false,
        },
        {
          provider: 'google',
          method: 'POST',
          path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
          streaming: true,
        },
      ]);
    });
  });

  it('answers Claude’s HEAD /api/hello probe, and unknown routes with 404s', async () => {
    await withGateway({}, async (gateway) => {
      const probe = await fetch(`${gateway.url}/gateway/anthropic/api/hello`, { method: 'HEAD' });
      expect(probe.status).toBe(200);
      const unknownRoute = await post(
        gateway,
        '/gateway/openai/v1/embeddings',
        { authorization: 'Bearer x' },
        '{}',
      );
      expect(unknownRoute.status).toBe(404);
      expect(await unknownRoute.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'unknown_url' },
      });
      const unknownProvider = await fetch(`${gateway.url}/gateway/mistral/v1/chat`);
      expect(unknownProvider.status).toBe(404);
      expect(await unknownProvider.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    });
  });
});
