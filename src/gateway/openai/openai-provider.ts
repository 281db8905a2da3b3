import {
  parseJson,
  tokenCount,
  type GatewayErrorKind,
  type GatewayProvider,
  type PreparedBody,
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
/** Chat Completions: read whole, so that a stream is always asked to report its usage. */
const chat: ProviderRoute = { kind: 'generate', model: null, holdsBody: true };
const utility: ProviderRoute = { kind: 'utility', model: null };

/** OpenAI's Responses (Codex) and Chat Completions (Opencode) APIs, and the model list. */
export const openaiProvider: GatewayProvider = {
  name: 'openai',
  keyVariable: 'OPENAI_API_KEY',

  route(method, path) {
    if (method === 'POST' && path === '/v1/responses') return generate;
    if (method === 'POST' && path === '/v1/chat/completions') return chat;
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

  prepareBody(path, body) {
    if (path !== '/v1/chat/completions') return null;
    return withStreamUsage(body);
  },
};

/**
 * A Chat Completions stream reports its usage only when asked (`stream_options.include_usage`);
 * without it every token would pass unmetered and uncounted against budgets. So a streamed
 * request that does not ask is changed to ask (the reply then ends with one more chunk, with
 * `choices: []`, which OpenAI's clients expect). Every body goes upstream as parsed here and
 * serialised again, so that a provider reading JSON differently (the first of two duplicate
 * keys, `"stream": 1` taken as true) cannot see a stream this check did not. What cannot be
 * checked is refused; the provider would refuse it too.
 */
export function withStreamUsage(body: Buffer): PreparedBody {
  const request = parseJson(body.toString('utf8'));
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { refusal: 'the request body is not a JSON object' };
  }
  const fields = request as Record<string, unknown>;
  const stream = fields['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    return { refusal: '`stream` must be true or false' };
  }
  if (stream === true) {
    const options = fields['stream_options'];
    if (options === undefined || options === null) {
      fields['stream_options'] = { include_usage: true };
    } else if (typeof options === 'object' && !Array.isArray(options)) {
      fields['stream_options'] = { ...options, include_usage: true };
    } else {
      return { refusal: '`stream_options` must be an object' };
    }
  }
  return { body: Buffer.from(JSON.stringify(fields)) };
}
