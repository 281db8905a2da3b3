/**
 * Anthropic Messages API (`POST /v1/messages`, Claude Code and opencode's Anthropic providers):
 * request reading, streamed and plain replies, error bodies. Event order and fields follow
 * docs: message_start, per block content_block_start / deltas / content_block_stop (a ping after
 * the first start), message_delta with the stop reason and cumulative usage, message_stop.
 */
import { z } from 'zod';
import {
  EventStream,
  namedEvent,
  sendJson,
  splitJson,
  splitText,
  type ReplyContext,
} from './http-io.ts';
import { asArray, contentTexts, isRecord, type RequestFacts } from './request-facts.ts';
import type { ReplyUsage, ScriptedReply } from './scripted-reply.ts';

export const anthropicBodySchema = z.looseObject({
  model: z.string(),
  messages: z.array(z.unknown()),
  stream: z.boolean().optional(),
  system: z.unknown().optional(),
  tools: z.array(z.unknown()).optional(),
});
export type AnthropicBody = z.infer<typeof anthropicBodySchema>;

/** The count_tokens body: the same as a message request without `max_tokens` or `stream`. */
export const anthropicCountBodySchema = z.looseObject({
  model: z.string(),
  messages: z.array(z.unknown()),
});

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** `{"type":"error","error":{"type":…,"message":…},"request_id":…}` with the type for the status. */
export function anthropicErrorBody(status: number, message: string, requestId: string): unknown {
  const type = errorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message }, request_id: requestId };
}

export function sendAnthropicError(
  ctx: Pick<ReplyContext, 'res' | 'ids'>,
  status: number,
  message: string,
): void {
  const requestId = ctx.ids.next('req_');
  sendJson(ctx.res, status, anthropicErrorBody(status, message, requestId), {
    'request-id': requestId,
  });
}

function jsonSchemaOf(body: AnthropicBody): unknown {
  const config = body['output_config'];
  const format = isRecord(config) ? config['format'] : body['output_format'];
  return isRecord(format) && format['type'] === 'json_schema' ? (format['schema'] ?? null) : null;
}

export function readAnthropicFacts(body: AnthropicBody): RequestFacts {
  const messages = body.messages.filter(isRecord);
  const firstAnswer = messages.findIndex((message) => message['role'] === 'assistant');
  const beforeAnswer = firstAnswer === -1 ? messages : messages.slice(0, firstAnswer);
  return {
    tools: asArray(body.tools)
      .filter(isRecord)
      .flatMap((tool) =>
        typeof tool['name'] === 'string'
          ? [{ name: tool['name'], kind: 'function' as const, parameters: tool['input_schema'] }]
          : [],
      ),
    toolResults: messages
      .flatMap((message) => asArray(message['content']))
      .filter((block) => isRecord(block) && block['type'] === 'tool_result').length,
    contextTexts: [
      ...contentTexts(body.system),
      ...messages.flatMap((message) => contentTexts(message['content'])),
    ],
    promptTexts: beforeAnswer
      .filter((message) => message['role'] === 'user')
      .flatMap((message) => contentTexts(message['content'])),
    jsonSchema: jsonSchemaOf(body),
    model: body.model,
  };
}

function usageFields(usage: ReplyUsage, outputTokens: number) {
  return {
    input_tokens: usage.input,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cacheRead,
    output_tokens: outputTokens,
  };
}

type Answer = Extract<ScriptedReply, { kind: 'answer' }>;

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function blocksOf(answer: Answer, ctx: ReplyContext): Block[] {
  const blocks: Block[] = [];
  if (answer.text !== null) blocks.push({ type: 'text', text: answer.text });
  if (answer.call !== null) {
    const { call } = answer;
    blocks.push({
      type: 'tool_use',
      id: ctx.ids.next('toolu_'),
      name: call.name,
      input: call.kind === 'custom' ? { input: call.input } : call.arguments,
    });
  }
  return blocks;
}

function stopReason(answer: Answer): string {
  return answer.call === null ? 'end_turn' : 'tool_use';
}

export function sendAnthropicMessage(ctx: ReplyContext, answer: Answer): void {
  const requestId = ctx.ids.next('req_');
  sendJson(
    ctx.res,
    200,
    {
      id: ctx.ids.next('msg_'),
      type: 'message',
      role: 'assistant',
      model: ctx.model,
      content: blocksOf(answer, ctx),
      stop_reason: stopReason(answer),
      stop_sequence: null,
      usage: usageFields(answer.usage, answer.usage.output),
    },
    { 'request-id': requestId },
  );
}

function blockEvents(block: Block, index: number): string[] {
  const start =
    block.type === 'text'
      ? { type: 'text', text: '' }
      : { type: 'tool_use', id: block.id, name: block.name, input: {} };
  const deltas =
    block.type === 'text'
      ? splitText(block.text).map((text) => ({ type: 'text_delta', text }))
      : splitJson(JSON.stringify(block.input)).map((partial_json) => ({
          type: 'input_json_delta',
          partial_json,
        }));
  return [
    namedEvent('content_block_start', { type: 'content_block_start', index, content_block: start }),
    ...(index === 0 ? [namedEvent('ping', { type: 'ping' })] : []),
    ...deltas.map((delta) =>
      namedEvent('content_block_delta', { type: 'content_block_delta', index, delta }),
    ),
    namedEvent('content_block_stop', { type: 'content_block_stop', index }),
  ];
}

export async function streamAnthropicMessage(ctx: ReplyContext, answer: Answer): Promise<void> {
  const stream = new EventStream(ctx.res, ctx.chunkDelayMs, ctx.signal, {
    'request-id': ctx.ids.next('req_'),
  });
  const message = {
    id: ctx.ids.next('msg_'),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: usageFields(answer.usage, Math.min(1, answer.usage.output)),
  };
  const events = [
    namedEvent('message_start', { type: 'message_start', message }),
    ...blocksOf(answer, ctx).flatMap(blockEvents),
    namedEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason(answer), stop_sequence: null },
      usage: usageFields(answer.usage, answer.usage.output),
    }),
    namedEvent('message_stop', { type: 'message_stop' }),
  ];
  for (const event of events) await stream.send(event);
  stream.end();
}

export function sendAnthropicTokenCount(ctx: ReplyContext, inputTokens: number): void {
  sendJson(ctx.res, 200, { input_tokens: inputTokens });
}

/** The Anthropic shape of `GET /v1/models`. */
export function anthropicModelList(models: string[]): unknown {
  const data = models.map((id) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2026-01-01T00:00:00Z',
  }));
  return { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null };
}
