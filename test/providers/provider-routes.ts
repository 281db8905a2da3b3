/**
 * Which protocol and endpoint a request is for, whether it carries that provider's key, and the
 * refusals (404, 401, 400) in the shape each provider really sends.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { sendAnthropicError } from './anthropic-messages.ts';
import { sendGeminiError } from './gemini-generate-content.ts';
import type { IdSource } from './http-io.ts';
import { maskKey, sendOpenaiError } from './openai-errors.ts';

export type Protocol = 'anthropic' | 'openai-responses' | 'openai-chat' | 'google';

export type Route =
  | { protocol: 'anthropic'; endpoint: 'messages' | 'count_tokens' }
  | { protocol: 'openai-responses'; endpoint: 'responses' }
  | { protocol: 'openai-chat'; endpoint: 'chat' }
  | {
      protocol: 'google';
      endpoint: 'generateContent' | 'streamGenerateContent' | 'countTokens';
      model: string;
    }
  /** A model list, or one model when `model` is set, in the shape of `protocol`. */
  | { protocol: Protocol; endpoint: 'models'; model: string | null }
  /** Nothing here: answered 404 in the shape of the protocol the path looks like. */
  | { protocol: Protocol; endpoint: 'unknown' };

export interface UpstreamKeys {
  anthropic?: string;
  openai?: string;
  google?: string;
}

/** An Anthropic client sends these; OpenAI's never does. Tells the `GET /v1/models` apart. */
function looksAnthropic(headers: IncomingHttpHeaders): boolean {
  return headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined;
}

/** A Google client: its key header or `?key=`. */
function looksGoogle(headers: IncomingHttpHeaders, url: URL): boolean {
  return headers['x-goog-api-key'] !== undefined || url.searchParams.has('key');
}

// Gemini serves the same methods under v1beta (Gemini CLI), v1 (@google/genai 3) and v1alpha.
const geminiAction =
  /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
const geminiModels = /^\/(v1|v1beta|v1alpha)\/models(?:\/([^/:]+))?$/;

type GeminiAction = 'generateContent' | 'streamGenerateContent' | 'countTokens';

export function matchRoute(method: string, url: URL, headers: IncomingHttpHeaders): Route {
  const { pathname } = url;
  const post = method === 'POST';
  const get = method === 'GET';
  if (post && pathname === '/v1/messages') return { protocol: 'anthropic', endpoint: 'messages' };
  if (post && pathname === '/v1/messages/count_tokens') {
    return { protocol: 'anthropic', endpoint: 'count_tokens' };
  }
  if (post && pathname === '/v1/responses') {
    return { protocol: 'openai-responses', endpoint: 'responses' };
  }
  if (post && pathname === '/v1/chat/completions') {
    return { protocol: 'openai-chat', endpoint: 'chat' };
  }
  const action = post ? geminiAction.exec(pathname) : null;
  if (action?.[2] !== undefined && action[3] !== undefined) {
    const endpoint = action[3] as GeminiAction;
    return { protocol: 'google', endpoint, model: decodeURIComponent(action[2]) };
  }
  const listing = get ? geminiModels.exec(pathname) : null;
  if (listing !== null) {
    const model = listing[2] === undefined ? null : decodeURIComponent(listing[2]);
    const protocol =
      listing[1] !== 'v1' || looksGoogle(headers, url)
        ? 'google'
        : looksAnthropic(headers)
          ? 'anthropic'
          : 'openai-chat';
    return { protocol, endpoint: 'models', model };
  }
  return { protocol: guessProtocol(pathname, headers, url), endpoint: 'unknown' };
}

function guessProtocol(pathname: string, headers: IncomingHttpHeaders, url: URL): Protocol {
  if (/^\/v1(beta|alpha)\//.test(pathname) || looksGoogle(headers, url)) return 'google';
  if (pathname.startsWith('/v1/messages') || looksAnthropic(headers)) return 'anthropic';
  if (pathname.startsWith('/v1/responses')) return 'openai-responses';
  return 'openai-chat';
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

function bearer(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(header(headers, 'authorization') ?? '');
  return match?.[1]?.trim() ?? null;
}

/** The keys a request presents for its protocol, where that provider reads them. */
function presentedKeys(protocol: Protocol, headers: IncomingHttpHeaders, url: URL): string[] {
  const keys =
    protocol === 'anthropic'
      ? [header(headers, 'x-api-key'), bearer(headers)]
      : protocol === 'google'
        ? [header(headers, 'x-goog-api-key'), url.searchParams.get('key')]
        : [bearer(headers)];
  return keys.filter((key): key is string => key !== null && key !== '');
}

function expectedKey(protocol: Protocol, keys: UpstreamKeys): string | undefined {
  if (protocol === 'anthropic') return keys.anthropic;
  if (protocol === 'google') return keys.google;
  return keys.openai;
}

export interface RefusalContext {
  res: ServerResponse;
  ids: IdSource;
}

/**
 * Answers 401 and returns false when the request lacks the key its protocol must receive. A
 * protocol with no key configured accepts any request.
 */
export function checkKey(
  ctx: RefusalContext,
  protocol: Protocol,
  headers: IncomingHttpHeaders,
  url: URL,
  keys: UpstreamKeys,
): boolean {
  const expected = expectedKey(protocol, keys);
  if (expected === undefined) return true;
  const presented = presentedKeys(protocol, headers, url);
  if (presented.includes(expected)) return true;
  const wrong = presented[0];
  if (protocol === 'anthropic') {
    sendAnthropicError(
      ctx,
      401,
      wrong === undefined ? 'x-api-key header is required' : 'invalid x-api-key',
    );
  } else if (protocol === 'google') {
    sendGeminiError(
      ctx,
      401,
      wrong === undefined
        ? "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
        : 'API key not valid. Please pass a valid API key.',
    );
  } else if (wrong === undefined) {
    sendOpenaiError(
      ctx,
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      null,
    );
  } else {
    sendOpenaiError(
      ctx,
      401,
      `Incorrect API key provided: ${maskKey(wrong)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    );
  }
  return false;
}

/** An error reply in the protocol's own shape: scripted errors and 400/404 refusals. */
export function sendProtocolError(
  ctx: RefusalContext,
  protocol: Protocol,
  status: number,
  message: string,
): void {
  if (protocol === 'anthropic') sendAnthropicError(ctx, status, message);
  else if (protocol === 'google') sendGeminiError(ctx, status, message);
  else sendOpenaiError(ctx, status, message);
}

export function sendNotFound(
  ctx: RefusalContext,
  protocol: Protocol,
  method: string,
  pathname: string,
) {
  if (protocol === 'anthropic') sendAnthropicError(ctx, 404, 'Not Found');
  else if (protocol === 'google') sendGeminiError(ctx, 404, 'Requested entity was not found.');
  else sendOpenaiError(ctx, 404, `Invalid URL (${method} ${pathname})`);
}

/** Each provider's wording for a body that is not JSON. */
export function sendMalformed(ctx: RefusalContext, protocol: Protocol, detail: string): void {
  const message =
    protocol === 'anthropic'
      ? `There was an issue with the format of the request body: ${detail}`
      : protocol === 'google'
        ? `Invalid JSON payload received. ${detail}`
        : "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
  sendProtocolError(ctx, protocol, 400, message);
}
