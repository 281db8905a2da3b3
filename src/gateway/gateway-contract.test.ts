import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { instanceKeys, useGatewayTestbed, type TestGateway } from './gateway-test-kit.ts';
import { meteredUsage, providerCases, type ProviderCase } from './provider-cases.ts';

/**
 * The contract every provider API of the gateway keeps (Anthropic Messages, OpenAI Responses
 * and Chat Completions, Gemini): each test runs the same behaviour against each, in turn, on
 * one database.
 */

function call(gateway: TestGateway, c: ProviderCase, token: string, stream: boolean) {
  return fetch(`${gateway.url}/gateway/${c.provider}${c.path(stream)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...c.auth(token) },
    body: JSON.stringify(c.body(stream)),
  });
}

/** Reads a body chunk by chunk, noting when each arrived. */
async function readChunks(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push({ at: performance.now(), text: decoder.decode(value, { stream: true }) });
  }
  return { chunks, text: chunks.map((c) => c.text).join('') };
}

/** Between two streamed events, in the streaming test. */
const gapMs = 100;

const runOf = (c: ProviderCase) => `run-${c.label.replaceAll(' ', '-').toLowerCase()}`;

describeEachDatabase('gateway contract, against every provider API', (getDatabase) => {
  const { upstream, withGateway } = useGatewayTestbed(getDatabase);

  it('forwards a call with the configured key, never the run token, and meters it', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    await withGateway({}, async (gateway) => {
      for (const c of providerCases) {
        const token = await gateway.grantRun(runOf(c));
        const before = upstream().requests.length;
        const response = await call(gateway, c, token, false);
        const body = await response.text();

        expect(response.status, `${c.label}: ${body}`).toBe(200);
        expect(body, c.label).toContain('hi there');
        const seen = upstream().requests.slice(before);
        expect(seen, c.label).toHaveLength(1);
        expect(c.upstreamKey(seen[0]?.headers ?? {}), c.label).toBe(instanceKeys[c.provider]);
        expect(JSON.stringify(seen[0]?.headers), c.label).not.toContain(token);
        const usage = await gateway.service.usage(runOf(c));
        expect(usage, c.label).toMatchObject({
          calls: 1,
          inputTokens: c.expected.input,
          outputTokens: c.expected.output,
          cacheReadTokens: c.expected.cacheRead,
          cacheWriteTokens: c.expected.cacheWrite,
          budgetExceeded: null,
        });
        expect(usage.costUsd, c.label).toBeCloseTo(c.expected.cost, 10);
      }
    });
  });

  it('streams the reply chunk by chunk, the first long before the provider has finished, and meters the stream', async () => {
    upstream().setScenario({
      name: 'slow',
      turns: [
        {
          text: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen',
        },
      ],
      usage: meteredUsage,
      chunkDelayMs: gapMs,
    });
    await withGateway({}, async (gateway) => {
      for (const c of providerCases) {
        const token = await gateway.grantRun(runOf(c));
        const response = await call(gateway, c, token, true);
        expect(response.status, c.label).toBe(200);
        expect(response.headers.get('content-type'), c.label).toContain('text/event-stream');
        const { chunks, text } = await readChunks(response);

        expect(text, c.label).toContain('data:');
        expect(chunks.length, c.label).toBeGreaterThanOrEqual(2);
        const first = chunks[0]?.at ?? 0;
        const last = chunks.at(-1)?.at ?? 0;
        // The provider spaces its 6+ events by gapMs; a proxy that buffered would deliver them
        // together. Two gaps leave room for a busy machine's scheduling stalls.
        expect(last - first, c.label).toBeGreaterThanOrEqual(2 * gapMs - 5);
        const usage = await gateway.service.usage(runOf(c));
        expect(usage, c.label).toMatchObject({
          calls: 1,
          inputTokens: c.expected.input,
          outputTokens: c.expected.output,
          cacheReadTokens: c.expected.cacheRead,
        });
        expect(usage.costUsd, c.label).toBeCloseTo(c.expected.cost, 10);
        const [record] = await getDatabase()
          .db.selectFrom('gateway_calls')
          .selectAll()
          .where('run_id', '=', runOf(c))
          .execute();
        expect(record, c.label).toMatchObject({
          provider: c.provider,
          model: expect.stringContaining(c.model) as string,
          status: 200,
          streaming: true,
          error_code: null,
          request_body: null,
          response_body: null,
        });
        expect(record?.ttfb_ms, c.label).toBeGreaterThanOrEqual(0);
        expect(record?.duration_ms, c.label).toBeGreaterThanOrEqual(record?.ttfb_ms ?? 0);
      }
    });
  });

  it('asks a Chat Completions stream for its usage when the client did not, and meters it', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    const chat = providerCases.find((c) => c.label === 'OpenAI Chat Completions');
    if (chat === undefined) throw new Error('no Chat Completions case');
    await withGateway({}, async (gateway) => {
      const plain = JSON.stringify({ model: 'gpt-5', messages: [], stream: true, seed: 7 });
      const bodies = [
        { runId: 'run-chat-no-usage', body: plain, encoding: undefined },
        // A client that asked not to get usage is asked for it all the same.
        {
          runId: 'run-chat-usage-off',
          body: JSON.stringify({
            model: 'gpt-5',
            messages: [],
            stream: true,
            stream_options: { include_usage: false },
          }),
          encoding: undefined,
        },
        { runId: 'run-chat-gzip', body: gzipSync(plain), encoding: 'gzip' },
      ];
      for (const { runId, body, encoding } of bodies) {
        const token = await gateway.grantRun(runId);
        const before = upstream().requests.length;
        const response = await fetch(`${gateway.url}/gateway/openai/v1/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
            ...chat.auth(token),
          },
          body,
        });
        const text = await response.text();

        expect(response.status, runId).toBe(200);
        expect(text, runId).toContain('hi there');
        expect(text, runId).toContain('"usage"');
        const seen = upstream().requests.slice(before);
        expect(seen, runId).toHaveLength(1);
        expect(seen[0]?.body, runId).toMatchObject({
          model: 'gpt-5',
          stream: true,
          stream_options: { include_usage: true },
        });
        expect(seen[0]?.headers['content-encoding'], runId).toBeUndefined();
        expect(await gateway.service.usage(runId), runId).toMatchObject({
          calls: 1,
          inputTokens: chat.expected.input,
          outputTokens: chat.expected.output,
        });
      }
    });
  });

  it('refuses a Chat Completions body it cannot read with 400, calling nobody', async () => {
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-chat-unreadable');
      const before = upstream().requests.length;
      const cases = [
        { body: '{"model":"gpt-5","stream":true', encoding: undefined, says: 'not a JSON object' },
        { body: 'not gzip at all', encoding: 'gzip', says: 'content-encoding gzip' },
        { body: '{}', encoding: 'zstd', says: 'content-encoding zstd' },
      ];
      for (const { body, encoding, says } of cases) {
        const response = await fetch(`${gateway.url}/gateway/openai/v1/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
          },
          body,
        });
        const reply = (await response.json()) as { error: { message: string; code: string } };

        expect(response.status, says).toBe(400);
        expect(reply.error.code, says).toBe('bad_request');
        expect(reply.error.message, says).toContain(says);
      }
      expect(upstream().requests.length).toBe(before);
    });
  });

  it('refuses a token it never gave with 401 in the provider’s own shape, calling nobody', async () => {
    await withGateway({}, async (gateway) => {
      await gateway.grantRun('run-1');
      for (const c of providerCases) {
        const before = upstream().requests.length;
        const response = await call(gateway, c, 'baton-gw-not-a-real-token', false);

        expect(response.status, c.label).toBe(401);
        expect(c.errorMessage(await response.json()), c.label).toMatch(/invalid gateway token/);
        expect(upstream().requests.length, c.label).toBe(before);
      }
    });
  });

  it('passes a provider error through as is (status and body) and records it', async () => {
    upstream().setScenario({
      name: 'fails',
      turns: [{ error: { status: 529, message: 'Overloaded right now' } }],
    });
    await withGateway({}, async (gateway) => {
      for (const c of providerCases) {
        const token = await gateway.grantRun(runOf(c));
        const response = await call(gateway, c, token, false);

        expect(response.status, c.label).toBe(529);
        expect(c.errorMessage(await response.json()), c.label).toBe('Overloaded right now');
        await gateway.service.flush();
        const [record] = await getDatabase()
          .db.selectFrom('gateway_calls')
          .select(['status', 'error_code', 'error'])
          .where('run_id', '=', runOf(c))
          .execute();
        expect(record, c.label).toMatchObject({ status: 529, error_code: 'upstream_error' });
        expect(record?.error, c.label).toContain('Overloaded right now');
      }
    });
  });

  it('refuses a call once the run’s budget is spent, in the provider’s shape, and says why', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    for (const c of providerCases) {
      await withGateway({ runBudgetUsd: c.expected.cost / 2 }, async (gateway) => {
        const token = await gateway.grantRun(runOf(c));
        expect((await call(gateway, c, token, false)).status, c.label).toBe(200);
        const before = upstream().requests.length;
        const refused = await call(gateway, c, token, true);

        expect(refused.status, c.label).toBe(403);
        expect(c.errorMessage(await refused.json()), c.label).toMatch(
          /budget for this run is spent.*gateway\.runBudgetUsd/,
        );
        expect(upstream().requests.length, c.label).toBe(before);
        const usage = await gateway.service.usage(runOf(c));
        expect(usage.calls, c.label).toBe(2);
        expect(usage.budgetExceeded, c.label).toMatch(/budget for this run is spent/);
      });
    }
  });

  it('answers 502 in the provider’s shape when the provider cannot be reached', async () => {
    await withGateway({ upstreamUrl: 'http://127.0.0.1:1' }, async (gateway) => {
      for (const c of providerCases) {
        const token = await gateway.grantRun(runOf(c));
        const response = await call(gateway, c, token, true);

        expect(response.status, c.label).toBe(502);
        expect(c.errorMessage(await response.json()), c.label).toMatch(
          new RegExp(`could not reach ${c.provider}`),
        );
        const usage = await gateway.service.usage(runOf(c));
        expect(usage, c.label).toMatchObject({ calls: 1, inputTokens: 0, costUsd: 0 });
      }
    });
  });
});
