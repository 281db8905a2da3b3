import {
  parseJson,
  tokenCount,
  type GatewayErrorKind,
  type GatewayProvider,
  type ProviderRoute,
} from '../gateway-provider.ts';
import { openaiReplySchema } from './schema.ts';

const errors: Record<GatewayErrorKind, { type: string; code: string }> = {
  unauthorized: { type: 'invalid_request_error', code: 'invalid_api_key' },
  budget_exceeded: { type: 'insufficient_quota', code: 'budget_exceeded' },
  no_provider_key: { type: 'invalid_request_error', code: 'no_provider_key' },
  not_found: { type: 'invalid_request_error', code: 'unknown_url' },
  bad_request: { type: 'invalid_request_error', code: 'bad_request' },
  upstream_unreachable: { type: 'server_error', code: 'upstream_unreachable' },
  upstream_timeout: { type: 'server_error', code: 'upstream_timeout' },
};

const generate: ProviderRoute = { kind: 'generate', model: null };
const utility: ProviderRoute = { kind: 'utility', model: null };

/** OpenAI's Responses (Codex) and Chat Completions (Opencode) APIs, and the model list. */
export const openaiProvider: GatewayProvider = {
  name: 'openai',
  keyVariable: 'OPENAI_API_KEY',

  route(method, path) {
    if (method === 'POST' && (path === '/v1/responses' || path === '/v1/chat/completions')) {
      return generate;
    }
    if (method === 'GET' && path === '/v1/models') return utility;
    return null;
  },

  keyHeader: (key) => ['authorization', `Bearer ${key}`],

  errorBody: (kind, message) =>
    JSON.stringify({
      error: { message, type: errors[kind].type, param: null, code: errors[kind].code },
    }),

  usageFromJson(body) {
    const parsed = openaiReplySchema.safeParse(body);
    if (!parsed.success) return null;
    const reply = parsed.data.response ?? parsed.data;
    const usage = reply.usage;
    if (usage === undefined) return null;
    const input = tokenCount(usage.input_tokens ?? usage.prompt_tokens);
    const cached = Math.min(
      input,
      tokenCount(
        usage.input_tokens_details?.cached_tokens ?? usage.prompt_tokens_details?.cached_tokens,
      ),
    );
    return {
      model: reply.model ?? parsed.data.model ?? null,
      inputTokens: input - cached,
      outputTokens: tokenCount(usage.output_tokens ?? usage.completion_tokens),
      cacheReadTokens: cached,
      cacheWriteTokens: 0,
    };
  },

  // Responses: `response.completed` (or `.incomplete`/`.failed`) carries the whole usage; Chat:
  // the last chunk, when the client asked for `stream_options.include_usage`.
  usageFromEvents(_first, last) {
    return this.usageFromJson(parseJson(last));
  },
};
