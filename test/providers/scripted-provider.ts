/**
 * A scripted model provider: one HTTP server on 127.0.0.1 that speaks the Anthropic Messages,
 * OpenAI Responses, OpenAI chat-completions and Gemini v1beta protocols byte for byte as the real
 * services do (SSE included), and answers from a scenario instead of a model. Real agent CLIs run
 * against it through Baton's gateway; see readme.md for the scenario format.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { z } from 'zod';
import {
  anthropicBodySchema,
  anthropicCountBodySchema,
  anthropicModelList,
  readAnthropicFacts,
  sendAnthropicMessage,
  sendAnthropicTokenCount,
  streamAnthropicMessage,
} from './anthropic-messages.ts';
import {
  geminiBodySchema,
  geminiCountBodySchema,
  geminiModel,
  readGeminiFacts,
  sendGeminiContent,
  sendGeminiTokenCount,
  streamGeminiContent,
} from './gemini-generate-content.ts';
import { IdSource, sendJson, type ReplyContext } from './http-io.ts';
import {
  chatBodySchema,
  readChatFacts,
  sendChatCompletion,
  streamChatCompletion,
} from './openai-chat-completions.ts';
import { openaiModelList } from './openai-errors.ts';
import {
  readResponsesFacts,
  responsesBodySchema,
  sendResponse,
  streamResponse,
} from './openai-responses.ts';
import {
  checkKey,
  matchRoute,
  sendMalformed,
  sendNotFound,
  sendProtocolError,
  type Protocol,
  type Route,
} from './provider-routes.ts';
import type { RequestFacts } from './request-facts.ts';
import { parseScenario, type Scenario } from './scenario.ts';
import { estimateTokens, planReply, type ScriptedReply } from './scripted-reply.ts';

export { loadScenario, parseScenario } from './scenario.ts';
export type { Scenario, ScenarioUsage, Turn } from './scenario.ts';

export interface ScriptedProviderOptions {
  /**
   * The upstream key each protocol must receive; a wrong or missing key gets that provider's own
   * 401 error body. A protocol whose key is not given accepts any request.
   */
  keys: { anthropic?: string; openai?: string; google?: string };
  scenario: Scenario;
  /** Default 0 (a free port); the host is always 127.0.0.1. */
  port?: number;
}

export interface RecordedRequest {
  protocol: 'anthropic' | 'openai-responses' | 'openai-chat' | 'google';
  method: string;
  /** The path without the query string (`/v1/messages` for `/v1/messages?beta=true`). */
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it was not JSON; null when there was none. */
  body: unknown;
  stream: boolean;
  model: string | null;
}

export interface ScriptedProvider {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** Every request received, in arrival order, refused ones included. */
  requests: RecordedRequest[];
  setScenario(s: Scenario): void;
  close(): Promise<void>;
}

const models = {
  anthropic: ['claude-opus-5-5', 'claude-haiku-4-5'],
  openai: ['gpt-5.5', 'gpt-5.5-mini'],
  google: ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite'],
};

/** `GET …/models` or `GET …/models/{id}`: every model name is served, listed or not. */
function modelListing(protocol: Protocol, model: string | null): unknown {
  if (protocol === 'google') {
    return model === null ? { models: models.google.map(geminiModel) } : geminiModel(model);
  }
  if (protocol === 'anthropic') {
    const list = anthropicModelList(model === null ? models.anthropic : [model]);
    return model === null ? list : (list as { data: unknown[] }).data[0];
  }
  const list = openaiModelList(model === null ? models.openai : [model]);
  return model === null ? list : (list as { data: unknown[] }).data[0];
}

type Writer = (answer: Extract<ScriptedReply, { kind: 'answer' }>) => void | Promise<void>;

interface RequestInfo {
  method: string;
  url: URL;
  body: unknown;
  bytes: number;
}

const maxBodyBytes = 64 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) throw new Error('request body too large');
    chunks.push(buffer);
  }
  const raw = Buffer.concat(chunks);
  switch (req.headers['content-encoding']) {
    case 'gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    default:
      return raw;
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false; raw: string; detail: string };

function parseJson(text: string): Parsed {
  if (text === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, raw: text, detail: error instanceof Error ? error.message : 'not JSON' };
  }
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}

function recordedModel(route: Route, body: unknown): string | null {
  if ('model' in route && route.model !== null) return route.model;
  const model =
    typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : null;
  return typeof model === 'string' ? model : null;
}

function isStream(route: Route, body: unknown): boolean {
  if (route.protocol === 'google') return route.endpoint === 'streamGenerateContent';
  return (
    typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true
  );
}

/** The first problem zod found, worded like the providers word theirs: `messages: Required`. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid request';
  return issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`;
}

export async function startScriptedProvider(
  options: ScriptedProviderOptions,
): Promise<ScriptedProvider> {
  let scenario = parseScenario(options.scenario);
  const requests: RecordedRequest[] = [];
  const ids = new IdSource();
  const inFlight = new Set<AbortController>();

  /** Waits out the turn's delay, then writes its error or its answer. */
  async function reply(
    ctx: ReplyContext,
    protocol: Protocol,
    facts: RequestFacts,
    bytes: number,
    write: Writer,
  ): Promise<void> {
    const planned = planReply(scenario, facts, bytes);
    if (planned.delayMs > 0) await sleep(planned.delayMs, undefined, { signal: ctx.signal });
    if (planned.reply.kind === 'error') {
      sendProtocolError(ctx, protocol, planned.reply.status, planned.reply.message);
      return;
    }
    await write(planned.reply);
  }

  /** A model call's facts and how to write its answer; null for the other endpoints. */
  function readGeneration(
    ctx: ReplyContext,
    route: Route,
    url: URL,
    body: unknown,
  ): { facts: RequestFacts; write: Writer } | { invalid: z.ZodError } | null {
    switch (route.endpoint) {
      case 'messages': {
        const parsed = anthropicBodySchema.safeParse(body);
        if (!parsed.success) return { invalid: parsed.error };
        const stream = parsed.data.stream === true;
        return {
          facts: readAnthropicFacts(parsed.data),
          write: async (answer) => {
            if (stream) await streamAnthropicMessage(ctx, answer);
            else sendAnthropicMessage(ctx, answer);
          },
        };
      }
      case 'responses': {
        const parsed = responsesBodySchema.safeParse(body);
        if (!parsed.success) return { invalid: parsed.error };
        const stream = parsed.data.stream === true;
        return {
          facts: readResponsesFacts(parsed.data),
          write: async (answer) => {
            if (stream) await streamResponse(ctx, answer);
            else sendResponse(ctx, answer);
          },
        };
      }
      case 'chat': {
        const parsed = chatBodySchema.safeParse(body);
        if (!parsed.success) return { invalid: parsed.error };
        const stream = parsed.data.stream === true;
        const includeUsage = parsed.data.stream_options?.include_usage === true;
        return {
          facts: readChatFacts(parsed.data),
          write: async (answer) => {
            if (stream) await streamChatCompletion(ctx, answer, includeUsage);
            else sendChatCompletion(ctx, answer);
          },
        };
      }
      case 'generateContent':
      case 'streamGenerateContent': {
        const parsed = geminiBodySchema.safeParse(body);
        if (!parsed.success) return { invalid: parsed.error };
        const stream = route.endpoint === 'streamGenerateContent';
        const sse = url.searchParams.get('alt') === 'sse';
        return {
          facts: readGeminiFacts(parsed.data, route.model),
          write: async (answer) => {
            if (stream) await streamGeminiContent(ctx, answer, sse);
            else sendGeminiContent(ctx, answer);
          },
        };
      }
      default:
        return null;
    }
  }

  /** Token counts, model lists and unknown paths: answered at once, without the scenario's turns. */
  function serveOther(ctx: ReplyContext, route: Route, request: RequestInfo): void {
    const inputTokens = scenario.usage?.input ?? estimateTokens(request.bytes);
    const counted = (schema: z.ZodType, send: () => void) => {
      const parsed = schema.safeParse(request.body);
      if (parsed.success) send();
      else sendProtocolError(ctx, route.protocol, 400, firstIssue(parsed.error));
    };
    if (route.endpoint === 'count_tokens') {
      counted(anthropicCountBodySchema, () => {
        sendAnthropicTokenCount(ctx, inputTokens);
      });
    } else if (route.endpoint === 'countTokens') {
      counted(geminiCountBodySchema, () => {
        sendGeminiTokenCount(ctx, inputTokens);
      });
    } else if (route.endpoint === 'models') {
      sendJson(ctx.res, 200, modelListing(route.protocol, route.model));
    } else {
      sendNotFound(ctx, route.protocol, request.method, request.url.pathname);
    }
  }

  async function dispatch(ctx: ReplyContext, route: Route, request: RequestInfo): Promise<void> {
    const generation = readGeneration(ctx, route, request.url, request.body);
    if (generation === null) {
      serveOther(ctx, route, request);
    } else if ('invalid' in generation) {
      sendProtocolError(ctx, route.protocol, 400, firstIssue(generation.invalid));
    } else {
      ctx.model = generation.facts.model ?? '';
      await reply(ctx, route.protocol, generation.facts, request.bytes, generation.write);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    inFlight.add(controller);
    res.on('close', () => {
      inFlight.delete(controller);
      if (!res.writableFinished) controller.abort();
    });
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = matchRoute(method, url, req.headers);
    const ctx: ReplyContext = {
      res,
      signal: controller.signal,
      chunkDelayMs: scenario.chunkDelayMs ?? 0,
      ids,
      model: '',
    };
    const raw = await readBody(req);
    const parsed = parseJson(raw.toString('utf8'));
    const body = parsed.ok ? parsed.value : parsed.raw;
    requests.push({
      protocol: route.protocol,
      method,
      path: url.pathname,
      headers: flatHeaders(req),
      body,
      stream: isStream(route, body),
      model: recordedModel(route, body),
    });
    const request: RequestInfo = { method, url, body, bytes: raw.length };
    if (route.endpoint === 'unknown') {
      sendNotFound(ctx, route.protocol, method, url.pathname);
    } else if (!checkKey(ctx, route.protocol, req.headers, url, options.keys)) {
      return;
    } else if (!parsed.ok) {
      sendMalformed(ctx, route.protocol, parsed.detail);
    } else {
      await dispatch(ctx, route, request);
    }
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A client that left, or close(), aborted the reply: nobody is listening any more.
      if (res.writableEnded || res.destroyed) return;
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: { message: String(error) } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScenario(next: Scenario) {
      scenario = parseScenario(next);
    },
    async close() {
      for (const pending of inFlight) pending.abort();
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      });
      server.closeAllConnections();
      await closed;
    },
  };
}
