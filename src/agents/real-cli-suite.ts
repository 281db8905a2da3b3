/**
 * The end-to-end suite every real agent CLI passes (one `*-cli.test.ts` per CLI calls it): the
 * CLI installed by the tool cache, started directly with its profile's launch (no sandbox; the
 * sandbox is the executor's), talking to the scripted provider as if it were Baton's gateway.
 * Test support only; nothing in Baton imports it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupTempRepo,
  ensureTestTools,
  runProfileInTempRepo,
  type TempRepoRun,
} from '../../test/helpers/agent-tools.ts';
import {
  loadScenario,
  startScriptedProvider,
  type RecordedRequest,
  type ScriptedProvider,
} from '../../test/providers/scripted-provider.ts';
import type { InstalledTool } from './agent-profile.ts';
import type { AgentName } from '../flows/flow-definition.ts';

export interface RealCliExpectations {
  name: Exclude<AgentName, 'amazon-q' | 'custom'>;
  /** `METHOD /path` of each model call a write-hello run makes, in order. */
  modelCalls: string[];
  /** How the token reaches the provider: the header and its value for a token. */
  authHeader: (token: string) => [string, string];
}

/**
 * The end-to-end test of one real CLI: installed by the tool cache, started directly (no
 * sandbox) with its profile's launch in a fresh git repository, talking to the scripted
 * provider as if it were Baton's gateway.
 */
export function describeRealCli(expectations: RealCliExpectations): void {
  const { name } = expectations;
  const token = `baton-gateway-token-${name}`;
  const headers = { 'X-Baton-Run': 'run-cli-test' };
  let provider: ScriptedProvider | undefined;
  let tool: InstalledTool | undefined;

  describe(`${name}: the real CLI against a scripted provider`, () => {
    beforeAll(async () => {
      tool = (await ensureTestTools([name]))[name];
      provider = await startScriptedProvider({
        keys: { anthropic: token, openai: token, google: token },
        scenario: loadScenario('write-hello'),
      });
    }, realCliInstallTimeoutMs);

    afterAll(async () => {
      await provider?.close();
    });

    async function run(scenario: string): Promise<{ run: TempRepoRun; calls: RecordedRequest[] }> {
      if (!provider || !tool) throw new Error('the CLI or the provider did not start');
      provider.setScenario(loadScenario(scenario));
      const before = provider.requests.length;
      const result = await runProfileInTempRepo({
        name,
        tool,
        providerUrl: provider.url,
        token,
        headers,
        prompt: 'Create hello.txt containing "hi from agent", then answer "done".',
        timeoutMs: realCliRunTimeoutMs,
      });
      return { run: result, calls: provider.requests.slice(before) };
    }

    it(
      'writes hello.txt, answers "done" with usage, and exits 0; every model call carries the run token',
      async () => {
        const { run: result, calls } = await run('write-hello');
        try {
          expect(result.exitCode, result.stderr).toBe(0);
          const written = await readFile(path.join(result.repo, 'hello.txt'), 'utf8');
          expect(written).toMatch(/^hi from agent\n?$/);
          expect(result.events.at(-1)).toEqual({ type: 'final', text: 'done', isError: false });
          expect(result.events.filter((event) => event.type === 'final')).toHaveLength(1);
          const usage = result.events.filter((event) => event.type === 'usage');
          expect(usage.length).toBeGreaterThan(0);
          expect(usage.some((event) => event.outputTokens > 0)).toBe(true);
          expect(
            result.events.some(
              (event) => event.type === 'file_change' && event.path.endsWith('hello.txt'),
            ),
          ).toBe(true);
          expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(
            expectations.modelCalls,
          );
          const [header, value] = expectations.authHeader(token);
          for (const call of calls) {
            expect(call.headers[header]).toBe(value);
            expect(call.headers['x-baton-run']).toBe('run-cli-test');
          }
        } finally {
          await cleanupTempRepo(result);
        }
      },
      realCliTestTimeoutMs,
    );

    it(
      'ends as a failed run after a bounded number of attempts when the gateway refuses the token',
      async () => {
        const { run: result, calls } = await run('provider-rejects-key');
        try {
          expect(result.exitCode).not.toBe(0);
          expect(result.events.at(-1)).toMatchObject({ type: 'final', isError: true });
          expect(result.events).toContainEqual(
            expect.objectContaining({ type: 'error', fatal: true }),
          );
          expect(calls.length).toBeGreaterThan(0);
          expect(calls.length).toBeLessThanOrEqual(3);
        } finally {
          await cleanupTempRepo(result);
        }
      },
      realCliTestTimeoutMs,
    );
  });
}

/** The first install of a CLI downloads up to ~400 MB. */
export const realCliInstallTimeoutMs = 300_000;
/** One CLI run; opencode alone takes 20–30 s on a loaded 2-core machine. */
export const realCliRunTimeoutMs = 180_000;
export const realCliTestTimeoutMs = 240_000;
