import {
  errorStatus,
  parseJson,
  tokenCount,
  type GatewayErrorKind,
  type GatewayProvider,
  type MeteredUsage,
  type ProviderRoute,
} from '../gateway-provider.ts';
import { geminiReplySchema } from './schema.ts';

const statuses: Record<GatewayErrorKind, string> = {
  unauthorized: 'UNAUTHENTICATED',
  budget_exceeded: 'PERMISSION_DENIED',
  no_provider_key: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  bad_request: 'INVALID_ARGUMENT',
  upstream_unreachable: 'UNAVAILABLE',
  upstream_timeout: 'DEADLINE_EXCEEDED',
};

const modelCall =
  /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
const listModels: ProviderRoute = { kind: 'utility', model: null };

function decodeModel(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function usageOf(reply: unknown): MeteredUsage | null {
  const parsed = geminiReplySchema.safeParse(reply);
  if (!parsed.success || parsed.data.usageMetadata === undefined) return null;
  const usage = parsed.data.usageMetadata;
  const prompt = tokenCount(usage.promptTokenCount) + tokenCount(usage.toolUsePromptTokenCount);
  const cached = Math.min(prompt, tokenCount(usage.cachedContentTokenCount));
  return {
    model: parsed.data.modelVersion ?? null,
    inputTokens: prompt - cached,
    // Thinking tokens are billed as output.
    outputTokens: tokenCount(usage.candidatesTokenCount) + tokenCount(usage.thoughtsTokenCount),
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

/** The Gemini API (v1beta), as Gemini CLI and the Google GenAI SDK call it. */
export const googleProvider: GatewayProvider = {
  name: 'google',
  keyVariable: 'GEMINI_API_KEY',

  route(method, path) {
    if (method === 'GET') return path === '/v1beta/models' ? listModels : null;
    if (method !== 'POST') return null;
    const match = modelCall.exec(path);
    if (match === null) return null;
    const model = decodeModel(match[1] ?? '');
    return { kind: match[2] === 'countTokens' ? 'utility' : 'generate', model };
  },

  keyHeader: (key) => ['x-goog-api-key', key],

  errorBody: (kind, message) =>
    JSON.stringify({ error: { code: errorStatus[kind], message, status: statuses[kind] } }),

  // `streamGenerateContent` without `alt=sse` answers one JSON array of chunks; the last chunk
  // carries the final counts.
  usageFromJson(body) {
    if (!Array.isArray(body)) return usageOf(body);
    for (let i = body.length - 1; i >= 0; i -= 1) {
      const usage = usageOf(body[i]);
      if (usage !== null) return usage;
    }
    return null;
  },

  // Every chunk may carry running counts; the last one's are final.
  usageFromEvents(_first, last) {
    return usageOf(parseJson(last));
  },
};
