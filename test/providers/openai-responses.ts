/**
 * OpenAI Responses API (`POST /v1/responses`, Codex): request reading, streamed and plain
 * replies. Streams carry `event:` lines and a `sequence_number` on every event:
 * response.created, response.in_progress, then per output item its added / content / done
 * events, then response.completed with the usage.
 */
import { z } from 'zod';
import {
  EventStream,
  namedEvent,
  sendJson,
  splitJson,
  splitText,
  unixSeconds,
  type ReplyContext,
} from './http-io.ts';
import {
  asArray,
  contentTexts,
  isRecord,
  type OfferedTool,
  type RequestFacts,
} from './request-facts.ts';
import type { ReplyUsage, ScriptedReply } from './scripted-reply.ts';

export const responsesBodySchema = z.looseObject({
  model: z.string(),
  input: z.union([z.string(), z.array(z.unknown())]).optional(),
  instructions: z.unknown().optional(),
  stream: z.boolean().optional(),
  tools: z.array(z.unknown()).optional(),
});
export type ResponsesBody = z.infer<typeof responsesBodySchema>;

/** Items the model produced: once one appears, the user's first turn is over. */
function isModelItem(item: Record<string, unknown>): boolean {
  const type = item['type'];
  if (type === undefined || type === 'message') return item['role'] === 'assistant';
  return typeof type === 'string' && !type.endsWith('_output');
}

export function readResponsesFacts(body: ResponsesBody): RequestFacts {
  const items =
    typeof body.input === 'string'
      ? [{ type: 'message', role: 'user', content: body.input }]
      : asArray(body.input).filter(isRecord);
  const firstAnswer = items.findIndex(isModelItem);
  const beforeAnswer = firstAnswer === -1 ? items : items.slice(0, firstAnswer);
  const format = isRecord(body['text']) ? body['text']['format'] : undefined;
  return {
    tools: asArray(body.tools)
      .filter(isRecord)
      .flatMap((tool): OfferedTool[] => {
        const name = tool['name'];
        if (typeof name !== 'string') return [];
        if (tool['type'] === 'function') {
          return [{ name, kind: 'function' as const, parameters: tool['parameters'] }];
        }
        return tool['type'] === 'custom'
          ? [{ name, kind: 'custom' as const, parameters: null }]
          : [];
      }),
    toolResults: items.filter(
      (item) => typeof item['type'] === 'string' && item['type'].endsWith('_call_output'),
    ).length,
    contextTexts: [
      ...contentTexts(body.instructions),
      ...items.flatMap((item) => contentTexts(item['content'])),
    ],
    promptTexts: beforeAnswer
      .filter((item) => item['role'] === 'user')
      .flatMap((item) => contentTexts(item['content'])),
    jsonSchema:
      isRecord(format) && format['type'] === 'json_schema' ? (format['schema'] ?? null) : null,
    model: body.model,
  };
}

/** OpenAI counts cached tokens inside `input_tokens`. */
export function responsesUsage(usage: ReplyUsage) {
  const input = usage.input + usage.cacheRead + usage.cacheWrite;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheRead },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + usage.output,
  };
}

type Answer = Extract<ScriptedReply, { kind: 'answer' }>;
type Event = Record<string, unknown> & { type: string };
type Item = Record<string, unknown> & { id: string };

/** The output items with the events that stream each of them, in order. */
function itemsOf(answer: Answer, ctx: ReplyContext): { item: Item; events: Event[] }[] {
  const built: { item: Item; events: Event[] }[] = [];
  if (answer.text !== null) {
    const id = ctx.ids.next('msg_');
    const output_index = built.length;
    const part = { type: 'output_text', text: answer.text, annotations: [] };
    const at = { item_id: id, output_index, content_index: 0 };
    const item = { id, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    built.push({
      item,
      events: [
        {
          type: 'response.output_item.added',
          output_index,
          item: { ...item, status: 'in_progress', content: [] },
        },
        { type: 'response.content_part.added', ...at, part: { ...part, text: '' } },
        ...splitText(answer.text).map((delta) => ({
          type: 'response.output_text.delta',
          ...at,
          delta,
          logprobs: [],
        })),
        { type: 'response.output_text.done', ...at, text: answer.text, logprobs: [] },
        { type: 'response.content_part.done', ...at, part },
        { type: 'response.output_item.done', output_index, item },
      ],
    });
  }
  if (answer.call !== null) {
    const { call } = answer;
    const output_index = built.length;
    const custom = call.kind === 'custom';
    const id = ctx.ids.next(custom ? 'ctc_' : 'fc_');
    const field = custom ? 'input' : 'arguments';
    const value = call.kind === 'custom' ? call.input : JSON.stringify(call.arguments);
    const prefix = custom ? 'response.custom_tool_call_input' : 'response.function_call_arguments';
    const item = {
      id,
      type: custom ? 'custom_tool_call' : 'function_call',
      status: 'completed',
      call_id: ctx.ids.next('call_'),
      name: call.name,
      [field]: value,
    };
    const pieces = custom ? splitText(value) : splitJson(value);
    built.push({
      item,
      events: [
        {
          type: 'response.output_item.added',
          output_index,
          item: { ...item, status: 'in_progress', [field]: '' },
        },
        ...pieces.map((delta) => ({ type: `${prefix}.delta`, item_id: id, output_index, delta })),
        {
          type: `${prefix}.done`,
          item_id: id,
          output_index,
          ...(custom ? {} : { name: call.name }),
          [field]: value,
        },
        { type: 'response.output_item.done', output_index, item },
      ],
    });
  }
  return built;
}

function responseObject(
  id: string,
  ctx: ReplyContext,
  status: 'in_progress' | 'completed',
  output: Item[],
  usage: ReplyUsage | null,
) {
  return {
    id,
    object: 'response',
    created_at: unixSeconds(),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    model: ctx.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    tool_choice: 'auto',
    usage: usage === null ? null : responsesUsage(usage),
    metadata: {},
  };
}

export function sendResponse(ctx: ReplyContext, answer: Answer): void {
  const output = itemsOf(answer, ctx).map(({ item }) => item);
  const body = responseObject(ctx.ids.next('resp_'), ctx, 'completed', output, answer.usage);
  sendJson(ctx.res, 200, body, { 'x-request-id': ctx.ids.next('req_') });
}

export async function streamResponse(ctx: ReplyContext, answer: Answer): Promise<void> {
  const stream = new EventStream(ctx.res, ctx.chunkDelayMs, ctx.signal, {
    'x-request-id': ctx.ids.next('req_'),
  });
  const id = ctx.ids.next('resp_');
  const items = itemsOf(answer, ctx);
  const started = responseObject(id, ctx, 'in_progress', [], null);
  const output = items.map(({ item }) => item);
  const events: Event[] = [
    { type: 'response.created', response: started },
    { type: 'response.in_progress', response: started },
    ...items.flatMap(({ events: itemEvents }) => itemEvents),
    {
      type: 'response.completed',
      response: responseObject(id, ctx, 'completed', output, answer.usage),
    },
  ];
  for (const [sequence_number, event] of events.entries()) {
    await stream.send(namedEvent(event.type, { ...event, sequence_number }));
  }
  stream.end();
}
