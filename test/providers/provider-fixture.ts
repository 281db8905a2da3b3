/** Test side: a scripted provider per test, closed when the test ends, and request helpers. */
import { onTestFinished } from 'vitest';
import {
  loadScenario,
  startScriptedProvider,
  type Scenario,
  type ScriptedProvider,
} from './scripted-provider.ts';

export const upstreamKeys = {
  anthropic: 'sk-ant-upstream-0123456789',
  openai: 'sk-openai-upstream-0123456789',
  google: 'google-upstream-0123456789',
};

export const anthropicHeaders = {
  'x-api-key': upstreamKeys.anthropic,
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};
export const openaiHeaders = {
  authorization: `Bearer ${upstreamKeys.openai}`,
  'content-type': 'application/json',
};
export const googleHeaders = {
  'x-goog-api-key': upstreamKeys.google,
  'content-type': 'application/json',
};

export async function startProvider(scenario: Scenario | string): Promise<ScriptedProvider> {
  const provider = await startScriptedProvider({
    keys: upstreamKeys,
    scenario: typeof scenario === 'string' ? loadScenario(scenario) : scenario,
  });
  onTestFinished(() => provider.close());
  return provider;
}

export function post(
  provider: ScriptedProvider,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(provider.url + path, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function postJson(
  provider: ScriptedProvider,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await post(provider, path, body, headers);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
