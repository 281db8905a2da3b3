/**
 * The provider port of the model gateway: what the gateway needs to know about one provider's
 * API to serve it under `/gateway/<name>` — its routes, where its key goes, its error shape and
 * where its replies say how many tokens were used. One folder per provider implements it
 * (`anthropic/`, `openai/`, `google/`); the proxy itself knows none of them.
 */

export type ProviderName = 'anthropic' | 'openai' | 'google';

export const providerNames: readonly ProviderName[] = ['anthropic', 'openai', 'google'];

/** What a request to a provider route is. */
export type RouteKind =
  /** Generates tokens: metered and subject to budgets. */
  | 'generate'
  /** Counts tokens or lists models: forwarded, recorded, not metered. */
  | 'utility';

export interface ProviderRoute {
  kind: RouteKind;
  /** The model when the path names it (Gemini); otherwise read from the reply or the request. */
  model: string | null;
  /**
   * The whole request body is read before anything goes upstream, and passed through the
   * provider's `prepareBody`: for requests whose replies would otherwise carry no usage.
   */
  holdsBody?: boolean;
}

/** What `prepareBody` decided: send these bytes instead, or refuse the request. */
export type PreparedBody = { body: Buffer } | { refusal: string };

/** Tokens one call used, in Anthropic's sense: `inputTokens` excludes cache reads and writes. */
export interface MeteredUsage {
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Why the gateway itself answers instead of the provider. */
export type GatewayErrorKind =
  | 'unauthorized'
  | 'budget_exceeded'
  | 'no_provider_key'
  | 'not_found'
  | 'bad_request'
  | 'upstream_unreachable'
  | 'upstream_timeout';

export const errorStatus: Record<GatewayErrorKind, number> = {
  unauthorized: 401,
  // 403 rather than 429 or 5xx: every CLI retries those, and a spent budget or a missing key
  // does not heal within a retry.
  budget_exceeded: 403,
  no_provider_key: 403,
  not_found: 404,
  bad_request: 400,
  upstream_unreachable: 502,
  upstream_timeout: 504,
};

export interface GatewayProvider {
  readonly name: ProviderName;
  /** The project variable holding the project's own key (`ANTHROPIC_API_KEY`, ...). */
  readonly keyVariable: string;
  /** The route a method and path (after `/gateway/<name>`, without query) is, or null. */
  route(method: string, path: string): ProviderRoute | null;
  /** The header carrying the real key upstream, lower case, and its value. */
  keyHeader(key: string): readonly [name: string, value: string];
  /** The provider's own error body for a refusal or failure the gateway produced. */
  errorBody(kind: GatewayErrorKind, message: string): string;
  /** Usage from a whole (non-streamed) JSON reply, already parsed. */
  usageFromJson(body: unknown): MeteredUsage | null;
  /**
   * Usage from a server-sent-event stream, given the `data:` payloads of the first and the last
   * events that carried a usage object (the same one when only one did).
   */
  usageFromEvents(first: string, last: string): MeteredUsage | null;
  /**
   * For a route with `holdsBody`: the request body (decoded) to send instead, a refusal, or
   * null to send the client's bytes unchanged.
   */
  prepareBody?(path: string, body: Buffer): PreparedBody | null;
}

/** `usage` / `usageMetadata` holding an object (not null): the events worth parsing. */
export const usageObjectPattern = /"usage(?:Metadata)?"\s*:\s*\{/;

/** A whole number of tokens from an untrusted field; anything else counts as 0. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Parses a JSON payload from a provider, or undefined; never throws. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
