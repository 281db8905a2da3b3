/**
 * A GitLab-format flow with `injectGatewayToken: true`, as GitLab's managed-credential examples
 * are written: it reaches the model with AI_FLOW_AI_GATEWAY_TOKEN and the gateway's base URL,
 * never with a key, and a run that spends its budget ends with a note saying so.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { BatonHarness } from '../helpers/baton-harness.ts';
import { describeEachDatabase } from '../helpers/database.ts';
import { startScriptedProvider, type ScriptedProvider } from '../providers/scripted-provider.ts';

/** Two model calls with curl, as a flow script would make them. */
const flow = `image: node:22-slim
injectGatewayToken: true
commands:
  - |
    for i in 1 2; do
      curl -s -o "answer-$i.json" -w "call $i: %{http_code}\\n" \\
        -H "x-api-key: $AI_FLOW_AI_GATEWAY_TOKEN" -H 'anthropic-version: 2023-06-01' \\
        -H 'content-type: application/json' \\
        -d '{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}' \\
        "$BATON_GATEWAY_ANTHROPIC_URL/v1/messages"
    done
    echo "headers: $AI_FLOW_AI_GATEWAY_HEADERS"
`;

describeEachDatabase(
  'a GitLab flow with injectGatewayToken',
  (getDatabase) => {
    let harness: BatonHarness | undefined;
    let provider: ScriptedProvider | undefined;
    const providerKey = `sk-baton-e2e-${randomBytes(8).toString('hex')}`;

    afterEach(async () => {
      await harness?.close();
      await provider?.close();
    });

    async function start(runBudgetUsd: number): Promise<BatonHarness> {
      provider = await startScriptedProvider({
        keys: { anthropic: providerKey },
        scenario: {
          name: 'answer',
          turns: [{ text: 'hello' }],
          usage: { input: 100_000, output: 1_000 },
        },
      });
      harness = await BatonHarness.start(getDatabase(), {
        config: {
          gateway: {
            providers: { anthropic: { baseUrl: provider.url, apiKey: providerKey } },
            runBudgetUsd,
          },
        },
      });
      await harness.commitFile('.gitlab/duo/flows/gateway.yaml', flow);
      await harness.addTrigger({
        flow: { kind: 'config_path', path: '.gitlab/duo/flows/gateway.yaml' },
      });
      return harness;
    }

    it('reaches the model through the gateway with the run token, and reports the tokens', async () => {
      const h = await start(0);
      const { discussionId } = await h.commentOnIssue('alice', '@claude-agent call the model');
      await h.processed();
      const run = await h.waitForRun((await h.onlyRun()).id);
      const log = (await h.services.logs.read(run.id)).entries.map((e) => e.text).join('');
      expect(run.status, log).toBe('succeeded');
      expect(log).toContain('call 1: 200');
      expect(log).toContain('call 2: 200');
      expect(log).toContain(`headers: X-Baton-Run-Id: ${run.id}`);
      expect(provider?.requests.map((r) => r.headers['x-api-key'])).toEqual([
        providerKey,
        providerKey,
      ]);
      const [, final] = await h.discussionNotes(discussionId);
      expect(final?.body).toContain('200,000 input / 2,000 output tokens');
    });

    it('refuses a call once the run has spent its budget, and the final note says why', async () => {
      // One call of 100,000 input tokens at $3 per million costs $0.30.
      const h = await start(0.1);
      const { discussionId } = await h.commentOnIssue('alice', '@claude-agent call the model');
      await h.processed();
      const run = await h.waitForRun((await h.onlyRun()).id);
      const log = (await h.services.logs.read(run.id)).entries.map((e) => e.text).join('');
      expect(log).toContain('call 1: 200');
      expect(log).toContain('call 2: 403');
      expect(provider?.requests).toHaveLength(1);
      expect(run.status).toBe('failed');
      const [, final] = await h.discussionNotes(discussionId);
      expect(final?.body).toContain('❌ The run failed while running the agent');
      expect(final?.body).toMatch(/budget/i);
    });
  },
  { engines: ['postgres'] },
);
