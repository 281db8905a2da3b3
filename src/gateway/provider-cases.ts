import type { ProviderName } from './gateway-provider.ts';

/**
 * Test support (not shipped): one model call per API the gateway serves, as the CLIs send it,
 * so that one contract suite runs against every provider route.
 */
export interface ProviderCase {
  /** For test names. */
  label: string;
  provider: ProviderName;
  /** Path under `/gateway/<provider>` (with query) for a call, streamed or not. */
  path(stream: boolean): string;
  body(stream: boolean): Record<string, unknown>;
  /** How this API's clients send their key (here: the run token). */
  auth(token: string): Record<string, string>;
  /** The key the provider received, read from the headers it got. */
  upstreamKey(headers: Record<string, string>): string | undefined;
  /** The message of an error body in this provider's shape (undefined when the shape is wrong). */
  errorMessage(body: unknown): string | undefined;
  /** The model the calls name, and the metered figures for `meteredUsage`. */
  model: string;
  expected: { input: number; output: number; cacheRead: number; cacheWrite: number; cost: number };
}

/** What the scripted provider reports for every reply in the metering tests. */
export const meteredUsage = { input: 1000, output: 200, cacheRead: 300, cacheWrite: 0 };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const bearerOf = (headers: Record<string, string>) =>
  /^Bearer (.+)$/.exec(headers['authorization'] ?? '')?.[1];

type Json = Record<string, unknown>;
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Json)[key] : undefined;
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

function anthropicMessage(body: unknown): string | undefined {
  if (field(body, 'type') !== 'error') return undefined;
  const error = field(body, 'error');
  return typeof field(error, 'type') === 'string' ? text(field(error, 'message')) : undefined;
}

function openaiMessage(body: unknown): string | undefined {
  const error = field(body, 'error');
  return 'type' in ((error ?? {}) as Json) && 'code' in ((error ?? {}) as Json)
    ? text(field(error, 'message'))
    : undefined;
}

function googleMessage(body: unknown): string | undefined {
  const error = field(body, 'error');
  return typeof field(error, 'code') === 'number' && typeof field(error, 'status') === 'string'
    ? text(field(error, 'message'))
    : undefined;
}

const messages = [{ role: 'user', content: 'Say hi' }];

export const providerCases: readonly ProviderCase[] = [
  {
    label: 'Anthropic Messages',
    provider: 'anthropic',
    path: () => '/v1/messages?beta=true',
    body: (stream) => ({ model: 'claude-sonnet-4-5', max_tokens: 256, messages, stream }),
    auth: (token) => ({ 'x-api-key': token, 'anthropic-version': '2023-06-01' }),
    upstreamKey: (headers) => headers['x-api-key'],
    errorMessage: anthropicMessage,
    model: 'claude-sonnet-4-5',
    expected: { input: 1000, output: 200, cacheRead: 300, cacheWrite: 0, cost: 0.00609 },
  },
  {
    label: 'OpenAI Responses',
    provider: 'openai',
    path: () => '/v1/responses',
    body: (stream) => ({ model: 'gpt-5', input: 'Say hi', stream }),
    auth: bearer,
    upstreamKey: bearerOf,
    errorMessage: openaiMessage,
    model: 'gpt-5',
    expected: { input: 1000, output: 200, cacheRead: 300, cacheWrite: 0, cost: 0.0032875 },
  },
  {
    label: 'OpenAI Chat Completions',
    provider: 'openai',
    path: () => '/v1/chat/completions',
    body: (stream) => ({
      model: 'gpt-5',
      messages,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
    auth: bearer,
    upstreamKey: bearerOf,
    errorMessage: openaiMessage,
    model: 'gpt-5',
    expected: { input: 1000, output: 200, cacheRead: 300, cacheWrite: 0, cost: 0.0032875 },
  },
  {
    label: 'Gemini',
    provider: 'google',
    path: (stream) =>
      stream
        ? '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
        : '/v1beta/models/gemini-2.5-flash:generateContent',
    body: () => ({ contents: [{ role: 'user', parts: [{ text: 'Say hi' }] }] }),
    auth: (token) => ({ 'x-goog-api-key': token }),
    upstreamKey: (headers) => headers['x-goog-api-key'],
    errorMessage: googleMessage,
    model: 'gemini-2.5-flash',
    expected: { input: 1000, output: 200, cacheRead: 300, cacheWrite: 0, cost: 0.000809 },
  },
];
