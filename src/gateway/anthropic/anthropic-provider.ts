import {
  parseJson,
  tokenCount,
  type GatewayErrorKind,
  type GatewayProvider,
  type MeteredUsage,
  type ProviderRoute,
} from '../gateway-provider.ts';
import {
  anthropicMessageSchema,
  anthropicStreamEventSchema,
  type AnthropicUsage,
} from './schema.ts';

const errorTypes: Record<GatewayErrorKind, string> = {
  unauthorized: 'authentication_error',
  budget_exceeded: 'permission_error',
  no_provider_key: 'permission_error',
  not_found: 'not_found_error',
  bad_request: 'invalid_request_error',
  upstream_unreachable: 'api_error',
  upstream_timeout: 'api_error',
};

const generate: ProviderRoute = { kind: 'generate', model: null };
const utility: ProviderRoute = { kind: 'utility', model: null };

function metered(model: string | undefined, usage: AnthropicUsage): MeteredUsage {
  return {
    model: model ?? null,
    inputTokens: tokenCount(usage.input_tokens),
    outputTokens: tokenCount(usage.output_tokens),
    cacheReadTokens: tokenCount(usage.cache_read_input_tokens),
    cacheWriteTokens: tokenCount(usage.cache_creation_input_tokens),
  };
}

/** Anthropic's Messages API, as Claude Code and Opencode's Anthropic provider call it. */
export const anthropicProvider: GatewayProvider = {
  name: 'anthropic',
  keyVariable: 'ANTHROPIC_API_KEY',

  route(method, path) {
    if (method !== 'POST') return null;
    if (path === '/v1/messages') return generate;
    if (path === '/v1/messages/count_tokens') return utility;
    return null;
  },

  keyHeader: (key) => ['x-api-key', key],

  errorBody: (kind, message) =>
    JSON.stringify({ type: 'error', error: { type: errorTypes[kind], message } }),

  usageFromJson(body) {
    const parsed = anthropicMessageSchema.safeParse(body);
    if (!parsed.success || parsed.data.usage === undefined) return null;
    return metered(parsed.data.model, parsed.data.usage);
  },

  // message_start carries the model, the input and cache counts; the last message_delta the
  // final output count (and, in newer API versions, the input counts again).
  usageFromEvents(first, last) {
    const start = anthropicStreamEventSchema.safeParse(parseJson(first));
    const end = anthropicStreamEventSchema.safeParse(parseJson(last));
    const startMessage = start.success ? start.data.message : undefined;
    const startUsage = startMessage?.usage ?? (start.success ? start.data.usage : undefined);
    const endUsage = end.success ? (end.data.usage ?? end.data.message?.usage) : undefined;
    if (startUsage === undefined && endUsage === undefined) return null;
    const merged: AnthropicUsage = {
      input_tokens: endUsage?.input_tokens ?? startUsage?.input_tokens,
      output_tokens: endUsage?.output_tokens ?? startUsage?.output_tokens,
      cache_creation_input_tokens:
        endUsage?.cache_creation_input_tokens ?? startUsage?.cache_creation_input_tokens,
      cache_read_input_tokens:
        endUsage?.cache_read_input_tokens ?? startUsage?.cache_read_input_tokens,
    };
    return metered(startMessage?.model, merged);
  },
};
