/**
 * Which headers cross the gateway. Everything a CLI sends goes upstream (anthropic-version,
 * anthropic-beta, openai-beta, user-agent, content-type, accept, session ids, ...) except:
 * hop-by-hop headers, the run token in any of its places, Baton's own `x-baton-*` headers,
 * GitLab proxy headers (`x-gitlab-*`, sent by flows written for GitLab's gateway), cookies and
 * forwarding chains. `accept-encoding` is replaced by `identity` so that replies can be metered
 * as they pass.
 */

/** Dropped in both directions (RFC 9110 §7.6.1, plus the non-standard ones still seen). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const droppedRequestHeaders = new Set([
  ...hopByHop,
  'host',
  'expect',
  'accept-encoding',
  'cookie',
  'forwarded',
  'via',
  'x-real-ip',
  // The run token, wherever a CLI puts it; the real key is added instead.
  'authorization',
  'x-api-key',
  'x-goog-api-key',
]);

const droppedResponseHeaders = new Set([...hopByHop, 'set-cookie']);

function droppedPrefix(name: string): boolean {
  return (
    name.startsWith('x-baton-') || name.startsWith('x-gitlab-') || name.startsWith('x-forwarded-')
  );
}

export interface ClientHeaders {
  /** The run token as sent, or null when none was. */
  token: string | null;
  /** Raw header list for upstream, `[name, value, name, value, ...]`, names lower case. */
  forward: string[];
}

const bearer = /^bearer\s+/i;

/**
 * One pass over a client's raw headers: the token (x-api-key, Authorization: Bearer,
 * x-goog-api-key, in that order of preference) and what may go upstream.
 */
export function readClientHeaders(raw: readonly string[]): ClientHeaders {
  const forward: string[] = [];
  let apiKey: string | null = null;
  let authorization: string | null = null;
  let googKey: string | null = null;
  let connectionTokens: string | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (droppedRequestHeaders.has(name)) {
      if (name === 'x-api-key') apiKey = value.trim();
      else if (name === 'authorization') authorization = value.trim();
      else if (name === 'x-goog-api-key') googKey = value.trim();
      else if (name === 'connection') connectionTokens = value;
      continue;
    }
    if (droppedPrefix(name)) continue;
    forward.push(name, value);
  }
  if (connectionTokens !== null) removeListed(forward, connectionTokens);
  let token = apiKey || null;
  if (token === null && authorization !== null && bearer.test(authorization)) {
    token = authorization.replace(bearer, '').trim() || null;
  }
  token ??= googKey || null;
  return { token, forward };
}

export interface ReplyHeaders {
  /** Raw header list for the client. */
  headers: string[];
  contentType: string | null;
  contentEncoding: string | undefined;
}

/** A provider's response headers minus hop-by-hop ones and cookies, for the client. */
export function responseHeaders(raw: readonly string[]): ReplyHeaders {
  const headers: string[] = [];
  let connectionTokens: string | null = null;
  let contentType: string | null = null;
  let contentEncoding: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (droppedResponseHeaders.has(lower)) {
      if (lower === 'connection') connectionTokens = value;
      continue;
    }
    if (lower === 'content-type') contentType = value.toLowerCase();
    else if (lower === 'content-encoding') contentEncoding = value;
    headers.push(name, value);
  }
  if (connectionTokens !== null) removeListed(headers, connectionTokens, true);
  return { headers, contentType, contentEncoding };
}

/** Removes the headers a `Connection` header names (they are hop-by-hop too). */
function removeListed(headers: string[], connection: string, caseless = false): void {
  const plain = connection.toLowerCase();
  if (plain === 'keep-alive' || plain === 'close') return;
  const listed = connection
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  if (listed.length === 0) return;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const name = headers[i] as string;
    if (listed.includes(caseless ? name.toLowerCase() : name)) headers.splice(i, 2);
  }
}
