import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallRecord } from './call-recorder.ts';
import { readClientHeaders } from './forward-headers.ts';
import type { GatewayErrorKind, GatewayProvider, ProviderName } from './gateway-provider.ts';
import type { ActiveGrant, GrantRegistry } from './grant-registry.ts';
import { gatewayPathPrefix } from './model-gateway.ts';
import {
  ProxiedCall,
  sendProviderError,
  type CallContext,
  type CallStart,
} from './proxied-call.ts';
import type { Upstream } from './upstream.ts';

export interface GatewayHandlerDeps extends CallContext {
  providers: ReadonlyMap<string, GatewayProvider>;
  upstreams: Readonly<Record<ProviderName, Upstream>>;
  /** Instance-managed keys from configuration; a project's own key wins. */
  instanceKeys: Readonly<Partial<Record<ProviderName, string>>>;
  grants: GrantRegistry;
}

/** A plain node request handler, mounted in front of Fastify for every URL under `/gateway/`. */
export type GatewayRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const prefix = `${gatewayPathPrefix}/`;

/** Whether a request URL belongs to the gateway (and must bypass Fastify). */
export function isGatewayUrl(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith(prefix) || url === gatewayPathPrefix);
}

/** Removes Gemini's `?key=` from a query string; returns the key, if any, and what is left. */
function takeQueryKey(search: string): { key: string | null; search: string } {
  const params = new URLSearchParams(search);
  const key = params.get('key');
  if (key === null) return { key: null, search };
  params.delete('key');
  const rest = params.toString();
  return { key: key === '' ? null : key, search: rest === '' ? '' : `?${rest}` };
}

function sendNotFound(res: ServerResponse, url: string): void {
  const body = JSON.stringify({
    error: {
      code: 'NOT_FOUND',
      message: `No gateway route for ${url}; the providers are ${prefix}anthropic, ${prefix}openai and ${prefix}google`,
    },
  });
  res.writeHead(404, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Routes, authenticates and forwards one request. Everything before the upstream request is
 * synchronous and in memory: path split, route match, one pass over the headers, one sha256,
 * two map lookups, the budget comparison.
 */
export function createGatewayHandler(deps: GatewayHandlerDeps): GatewayRequestHandler {
  const refuse = (
    res: ServerResponse,
    call: {
      req: IncomingMessage;
      provider: GatewayProvider;
      path: string;
      grant: ActiveGrant | null;
      start: CallStart;
      model: string | null;
    },
    kind: GatewayErrorKind,
    message: string,
  ) => {
    const status = sendProviderError(res, call.provider, kind, message);
    const record: CallRecord = {
      run_id: call.grant?.runId ?? null,
      connection_id: call.grant?.connectionId ?? null,
      project_path: call.grant?.projectPath ?? null,
      provider: call.provider.name,
      model: call.model,
      method: call.req.method ?? 'GET',
      path: call.path,
      status,
      streaming: false,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      cost_usd: 0,
      charged_usd: 0,
      duration_ms: performance.now() - call.start.monoMs,
      ttfb_ms: null,
      error_code: kind,
      error: message,
      request_body: null,
      response_body: null,
      started_at: new Date(call.start.wallMs),
    };
    deps.recorder.push(record);
  };

  return (req, res) => {
    const start: CallStart = { wallMs: Date.now(), monoMs: performance.now() };
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    let search = query === -1 ? '' : url.slice(query);
    const rest = pathname.slice(prefix.length);
    const slash = rest.indexOf('/');
    const provider = deps.providers.get(slash === -1 ? rest : rest.slice(0, slash));
    if (provider === undefined || slash === -1) {
      sendNotFound(res, pathname);
      return;
    }
    const path = rest.slice(slash);
    const method = req.method ?? 'GET';
    // Claude Code's connectivity probe (without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).
    if (path === '/api/hello' && (method === 'HEAD' || method === 'GET')) {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
      return;
    }
    const route = provider.route(method, path);
    if (route === null) {
      sendProviderError(
        res,
        provider,
        'not_found',
        `Baton's gateway has no ${provider.name} route ${method} ${path}`,
      );
      return;
    }
    const client = readClientHeaders(req.rawHeaders);
    let token = client.token;
    if (search.includes('key=')) {
      const taken = takeQueryKey(search);
      token ??= taken.key;
      search = taken.search;
    }
    const call = {
      req,
      provider,
      path,
      grant: null as ActiveGrant | null,
      start,
      model: route.model,
    };
    const found = deps.grants.lookup(token, start.wallMs);
    if ('refusal' in found) {
      refuse(res, call, 'unauthorized', found.refusal);
      return;
    }
    const grant = found.grant;
    call.grant = grant;
    if (route.kind === 'generate') {
      const refusal = deps.ledger.refusal(grant, start.wallMs);
      if (refusal !== null) {
        grant.budgetExceeded ??= refusal;
        refuse(res, call, 'budget_exceeded', refusal);
        return;
      }
    }
    const key = grant.keys[provider.name] ?? deps.instanceKeys[provider.name];
    if (key === undefined) {
      refuse(
        res,
        call,
        'no_provider_key',
        `no provider key configured for ${provider.name}: set ${provider.keyVariable} as a variable of project ${grant.projectPath} (or of a parent group) in Baton, or gateway.providers.${provider.name}.apiKey in Baton's configuration`,
      );
      return;
    }
    const [keyName, keyValue] = provider.keyHeader(key);
    client.forward.push(keyName, keyValue, 'accept-encoding', 'identity');
    new ProxiedCall(deps, {
      req,
      res,
      provider,
      route,
      grant,
      upstream: deps.upstreams[provider.name],
      path,
      search,
      headers: client.forward,
      start,
    }).run();
  };
}
