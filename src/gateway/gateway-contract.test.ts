import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import {
  startScriptedProvider,
  type ScriptedProvider,
} from '../../test/providers/scripted-provider.ts';
import { instanceKeys, startTestGateway, type TestGateway } from './gateway-test-kit.ts';
import { meteredUsage, providerCases, type ProviderCase } from './provider-cases.ts';

/**
 * The contract every provider API of the gateway keeps (Anthropic Messages, OpenAI Responses
 * and Chat Completions, Gemini): each test runs the same behaviour against each, in turn, on
 * one database.
 */

let upstream: ScriptedProvider;

beforeAll(async () => {
  upstream = await startScriptedProvider({
    keys: { ...instanceKeys },
    scenario: { name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage },
  });
});

afterAll(async () => {
  await upstream.close();
});

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
  async function withGateway(
    overrides: Partial<Parameters<typeof startTestGateway>[1]>,
    body: (gateway: TestGateway) => Promise<void>,
  ) {
    const gateway = await startTestGateway(getDatabase(), {
      upstreamUrl: upstream.url,
      ...overrides,
    });
    try {
      await body(gateway);
    } finally {
      await gateway.close();
    }
  }

  it('forwards a call with the configured key, never the run token, and meters it', async () => {
    upstream.setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    await withGateway({}, async (gateway) => {
      for (const c of providerCases) {
        const token = await gateway.grantRun(runOf(c));
        const before = upstream.requests.length;
        const response = await call(gateway, c, token, false);
        const body = await response.text();

        expect(response.status, `${c.label}: ${body}`).toBe(200);
        expect(body, c.label).toContain('hi there');
        const seen = upstream.requests.slice(before);
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
    upstream.setScenario({
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

  it('refuses a token it never gave with 401 in the provider’s own shape, calling nobody', async () => {
    await withGateway({}, async (gateway) => {
      await gateway.grantRun('run-1');
      for (const c of providerCases) {
        const before = upstream.requests.length;
        const response = await call(gateway, c, 'baton-gw-not-a-real-token', false);

        expect(response.status, c.label).toBe(401);
        expect(c.errorMessage(await response.json()), c.label).toMatch(/invalid gateway token/);
        expect(upstream.requests.length, c.label).toBe(before);
      }
    });
  });

  it('passes a provider error through as is (status and body) and records it', async () => {
    upstream.setScenario({
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
    upstream.setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    for (const c of providerCases) {
      await withGateway({ runBudgetUsd: c.expected.cost / 2 }, async (gateway) => {
        const token = await gateway.grantRun(runOf(c));
        expect((await call(gateway, c, token, false)).status, c.label).toBe(200);
        const before = upstream.requests.length;
        const refused = await call(gateway, c, token, true);

        expect(refused.status, c.label).toBe(403);
        expect(c.errorMessage(await refused.json()), c.label).toMatch(
          /budget for this run is spent.*gateway\.runBudgetUsd/,
        );
        expect(upstream.requests.length, c.label).toBe(before);
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
