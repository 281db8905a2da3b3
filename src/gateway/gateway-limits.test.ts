import { createConnection, createServer, type AddressInfo } from 'node:net';
import { expect, it, vi } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { useGatewayTestbed, type TestGateway } from './gateway-test-kit.ts';
import { meteredUsage } from './provider-cases.ts';

/** One Claude Sonnet call with `meteredUsage` costs this much. */
const sonnetCallUsd = 0.00609;

function claude(
  gateway: TestGateway,
  token: string,
  options: { stream?: boolean; model?: string } = {},
) {
  return fetch(`${gateway.url}/gateway/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': token },
    body: JSON.stringify({
      model: options.model ?? 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
      stream: options.stream ?? false,
    }),
  });
}

/**
 * A TCP relay to the provider that resets a connection when a second request arrives on it after
 * a reply went back: what a client sees when it reuses a pooled connection the provider has just
 * closed. Returns its URL and how many connections it reset.
 */
async function startResettingRelay(target: string) {
  const { port } = new URL(target);
  let resets = 0;
  const relay = createServer((client) => {
    const server = createConnection({ host: '127.0.0.1', port: Number(port) });
    let replied = false;
    server.on('data', (chunk) => {
      replied = true;
      client.write(chunk);
    });
    client.on('data', (chunk) => {
      if (replied) {
        resets += 1;
        client.resetAndDestroy();
        server.destroy();
        return;
      }
      server.write(chunk);
    });
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
    client.on('close', () => server.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    resets: () => resets,
    close: () =>
      new Promise<void>((resolve) => {
        relay.close(() => {
          resolve();
        });
      }),
  };
}

describeEachDatabase('gateway budgets, timeouts and records', (getDatabase) => {
  const { upstream, withGateway } = useGatewayTestbed(getDatabase);

  async function records(runId: string) {
    return getDatabase()
      .db.selectFrom('gateway_calls')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute();
  }

  it('refuses every run of a project once its daily budget is spent, even after a restart', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    await withGateway(
      { projectDailyBudgetUsd: sonnetCallUsd * 1.5, runBudgetUsd: 0 },
      async (gateway) => {
        const first = await gateway.grantRun('run-a');
        const second = await gateway.grantRun('run-b');
        const elsewhere = await gateway.grantRun('run-c', { projectPath: 'other/app' });
        expect((await claude(gateway, first)).status).toBe(200);
        expect((await claude(gateway, second)).status).toBe(200);

        const refused = await claude(gateway, first);
        expect(refused.status).toBe(403);
        expect(await refused.json()).toMatchObject({
          type: 'error',
          error: {
            type: 'permission_error',
            message: expect.stringMatching(
              /daily budget for project demo\/app is spent: \$0\.01 of \$0\.01 today \(UTC, gateway\.projectDailyBudgetUsd\)/,
            ) as string,
          },
        });
        expect((await claude(gateway, elsewhere)).status).toBe(200);
        expect((await gateway.service.usage('run-a')).budgetExceeded).toMatch(/daily budget/);
        expect((await gateway.service.usage('run-b')).budgetExceeded).toBeNull();

        const restarted = await gateway.restart();
        try {
          const late = await restarted.grantRun('run-d');
          expect((await claude(restarted, late)).status).toBe(403);
        } finally {
          await restarted.close();
        }
      },
    );
  });

  it('charges a model with no price at its provider’s highest prices, so it never runs past a budget, even after a restart', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    // At Claude's highest listed prices ($15 / $75 / $1.50 per million) one call is $0.03045.
    const fallbackCallUsd = (1000 * 15 + 200 * 75 + 300 * 1.5) / 1e6;
    await withGateway({ runBudgetUsd: fallbackCallUsd * 1.5 }, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      expect((await claude(gateway, token, { model: 'claude-future-9' })).status).toBe(200);
      expect((await claude(gateway, token, { model: 'claude-future-9' })).status).toBe(200);
      const refused = await claude(gateway, token, { model: 'claude-future-9' });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('budget for this run is spent');

      await gateway.service.flush();
      const [first] = await records('run-1');
      expect(first?.cost_usd).toBeNull();
      expect(first?.charged_usd).toBeCloseTo(fallbackCallUsd, 10);
      const restarted = await gateway.restart();
      try {
        const again = await restarted.grantRun('run-1');
        expect((await claude(restarted, again, { model: 'claude-future-9' })).status).toBe(403);
      } finally {
        await restarted.close();
      }
    });
  });

  it('charges a stream the client cut off before its usage by its size, and counts it against the budget', async () => {
    upstream().setScenario({
      name: 'slow',
      turns: [{ text: 'one two three four five six seven eight nine ten' }],
      usage: meteredUsage,
      chunkDelayMs: 200,
    });
    await withGateway({ runBudgetUsd: 1e-9 }, async (gateway) => {
      const token = await gateway.grantRun('run-cut');
      const abort = new AbortController();
      // OpenAI's Responses stream reports usage only in its last event.
      const response = await fetch(`${gateway.url}/gateway/openai/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ model: 'gpt-5', input: 'Say hi', stream: true }),
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      abort.abort();
      await reader.read().catch(() => undefined);

      await expect.poll(async () => (await records('run-cut')).length).toBe(1);
      const [record] = await records('run-cut');
      expect(record).toMatchObject({ status: 200, input_tokens: 0, cost_usd: null });
      expect(record?.charged_usd).toBeGreaterThan(0);
      const usage = await gateway.service.usage('run-cut');
      expect(usage.costUsd).toBeNull();
      const refused = await claude(gateway, token);
      expect(refused.status).toBe(403);
    });
  });

  it('prices a model the table lacks as gateway.prices says', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    await withGateway(
      { prices: { 'claude-future-9': { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 1 } } },
      async (gateway) => {
        const token = await gateway.grantRun('run-1');
        expect((await claude(gateway, token, { model: 'claude-future-9' })).status).toBe(200);
        const usage = await gateway.service.usage('run-1');
        // 1,000 input at $1, 200 output at $2 and 300 cache reads at $0.10, per million.
        expect(usage.costUsd).toBeCloseTo((1000 * 1 + 200 * 2 + 300 * 0.1) / 1e6, 12);
      },
    );
  });

  it('gives a model with no price a null cost and keeps counting its tokens', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      expect((await claude(gateway, token)).status).toBe(200);
      expect((await claude(gateway, token, { model: 'claude-future-9' })).status).toBe(200);

      const usage = await gateway.service.usage('run-1');
      expect(usage).toMatchObject({
        calls: 2,
        inputTokens: 2000,
        outputTokens: 400,
        costUsd: null,
      });
    });
  });

  it('answers 504 in the provider’s shape when the provider sends nothing for the idle timeout', async () => {
    upstream().setScenario({ name: 'stuck', turns: [{ delayMs: 5000, then: { text: 'late' } }] });
    await withGateway({ idleTimeoutMs: 500 }, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const response = await claude(gateway, token);

      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({
        type: 'error',
        error: {
          type: 'api_error',
          message: expect.stringMatching(/did not answer in time/) as string,
        },
      });
      await gateway.service.flush();
      expect(await records('run-1')).toMatchObject([
        { status: 504, error_code: 'upstream_timeout' },
      ]);
    });
  });

  it('cuts a stream that stalls for the idle timeout', async () => {
    upstream().setScenario({
      name: 'stalls',
      turns: [{ text: 'a stream that stalls between its events' }],
      chunkDelayMs: 5000,
    });
    await withGateway({ idleTimeoutMs: 500 }, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const response = await claude(gateway, token, { stream: true });
      expect(response.status).toBe(200);

      await expect(response.text()).rejects.toThrow();
      await gateway.service.flush();
      expect(await records('run-1')).toMatchObject([
        { status: 200, streaming: true, error_code: 'upstream_timeout' },
      ]);
    });
  });

  it('stops the provider’s reply when the client goes away, and records that', async () => {
    upstream().setScenario({
      name: 'slow',
      turns: [{ text: 'many words arriving slowly one after the other until the end' }],
      usage: meteredUsage,
      chunkDelayMs: 1000,
    });
    await withGateway({}, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      const controller = new AbortController();
      const started = performance.now();
      const response = await fetch(`${gateway.url}/gateway/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': token },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      controller.abort();

      await vi.waitFor(
        async () => {
          await gateway.service.flush();
          expect(await records('run-1')).toMatchObject([{ error_code: 'client_closed' }]);
        },
        { timeout: 5000, interval: 20 },
      );
      const [record] = await records('run-1');
      // The whole stream would take 8 s or more; the call ended when the client left.
      expect(record?.duration_ms).toBeLessThan(performance.now() - started + 1);
      expect(record?.duration_ms).toBeLessThan(4000);
      // message_start had arrived: its input tokens are metered.
      expect(record?.input_tokens).toBe(meteredUsage.input);
    });
  });

  it('sends a call again on a new connection when the provider reset the pooled one', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    const relay = await startResettingRelay(upstream().url);
    try {
      await withGateway({ upstreamUrl: relay.url }, async (gateway) => {
        const token = await gateway.grantRun('run-1');
        const before = upstream().requests.length;
        for (let i = 0; i < 3; i += 1) {
          const response = await claude(gateway, token);
          expect(response.status).toBe(200);
          expect(await response.text()).toContain('hi there');
        }
        expect(relay.resets()).toBe(2);
        expect(upstream().requests.length - before).toBe(3);
        expect(upstream().requests.at(-1)?.body).toMatchObject({ model: 'claude-sonnet-4-5' });
      });
    } finally {
      await relay.close();
    }
  });

  it('records bodies only when gateway.recordBodies is on', async () => {
    upstream().setScenario({ name: 'hi', turns: [{ text: 'hi there' }], usage: meteredUsage });
    await withGateway({ recordBodies: true }, async (gateway) => {
      const token = await gateway.grantRun('run-1');
      expect((await claude(gateway, token)).status).toBe(200);
      await gateway.service.flush();
      const [record] = await records('run-1');
      expect(JSON.parse(record?.request_body ?? '')).toMatchObject({ model: 'claude-sonnet-4-5' });
      expect(record?.response_body).toContain('hi there');
      expect(record?.request_body).not.toContain(token);
    });
  });
});
