/**
 * The scripted model provider in its own process: the upstream that every path of the gateway
 * bench ends at (directly, through Baton's gateway, through Portkey).
 */
import {
  startScriptedProvider,
  type ScriptedProvider,
} from '../../test/providers/scripted-provider.ts';
import { serve } from '../support/child-rpc.ts';

export interface ProviderStart {
  keys: { anthropic: string; openai: string };
}

let provider: ScriptedProvider | undefined;

const handlers = {
  async start(input: ProviderStart) {
    provider = await startScriptedProvider({
      keys: input.keys,
      // A short answer with fixed small usage: the proxy is measured, not the payload.
      scenario: {
        name: 'bench',
        turns: [{ text: 'Hello from the scripted provider.' }],
        usage: { input: 12, output: 8 },
      },
    });
    return { url: provider.url };
  },
  /** Requests seen so far (the provider records each one; cleared to bound memory). */
  requestCount() {
    const count = provider?.requests.length ?? 0;
    provider?.requests.splice(0);
    return count;
  },
  cpu() {
    return process.cpuUsage();
  },
  async stop() {
    await provider?.close();
  },
};

export type ProviderHandlers = typeof handlers;

serve(handlers);
