/**
 * OpenAI chat completions (`POST /v1/chat/completions`, opencode's OpenAI-compatible provider):
 * request reading, streamed and plain replies. Streams are data-only chunks: the role first, the
 * content and tool-call deltas, a chunk with the finish reason, a usage chunk with no choices when
 * `stream_options.include_usage` is set, then `data: [DONE]`.
 */
import { z } from 'zod';
import {
  dataEvent,
  EventStream,
  sendJson,
  splitJson,
  splitText,
  unixSeconds,
  type ReplyContext,
} from './http-io.ts';
import { asArray, contentTexts, isRecord, type RequestFacts } from './request-facts.ts';
import type { ReplyUsage, ScriptedReply } from './scripted-reply.ts';

export const chatBodySchema = z.looseObject({
  model: z.string(),
  messages: z.array(z.unknown()),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(z.unknown()).optional(),
});
export type ChatBody = z.infer<typeof chatBodySchema>;

export function readChatFacts(body: ChatBody): RequestFacts {
  const messages = body.messages.filter(isRecord);
  const firstAnswer = messages.findIndex((message) => message['role'] === 'assistant');
  const beforeAnswer = firstAnswer === -1 ? messages : messages.slice(0, firstAnswer);
  const format = body['response_format'];
  const jsonSchema =
    isRecord(format) && format['type'] === 'json_schema' && isRecord(format['json_schema'])
      ? (format['json_schema']['schema'] ?? null)
      : null;
  return {
    tools: asArray(body.tools)
      .filter(isRecord)
      .flatMap((tool) => {
        const fn = tool['function'];
        if (!isRecord(fn) || typeof fn['name'] !== 'string') return [];
        return [{ name: fn['name'], kind: 'function' as const, parameters: fn['parameters'] }];
      }),
    toolResults: messages.filter((message) => message['role'] === 'tool').length,
    contextTexts: messages.flatMap((message) => contentTexts(message['content'])),
    promptTexts: beforeAnswer
      .filter((message) => message['role'] === 'user')
      .flatMap((message) => contentTexts(message['content'])),
    jsonSchema,
    model: body.model,
  };
}

/** Chat counts cached tokens inside `prompt_tokens`. */
export function chatUsage(usage: ReplyUsage) {
  const prompt = usage.input + usage.cacheRead + usage.cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.output,
    total_tokens: prompt + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

type Answer = Extract<ScriptedReply, { kind: 'answer' }>;

function toolCallOf(answer: Answer, ctx: ReplyContext) {
  if (answer.call === null) return null;
  const { call } = answer;
  const args = call.kind === 'custom' ? { input: call.input } : call.arguments;
  return { id: ctx.ids.next('call_'), name: call.name, arguments: JSON.stringify(args) };
}

function finishReason(answer: Answer): string {
  return answer.call === null ? 'stop' : 'tool_calls';
}

export function sendChatCompletion(ctx: ReplyContext, answer: Answer): void {
  const call = toolCallOf(answer, ctx);
  const message = {
    role: 'assistant',
    content: answer.text,
    refusal: null,
    ...(call === null
      ? {}
      : {
          tool_calls: [
            {
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            },
          ],
        }),
  };
  sendJson(
    ctx.res,
    200,
    {
      id: ctx.ids.next('chatcmpl-'),
      object: 'chat.completion',
      created: unixSeconds(),
      model: ctx.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(answer) }],
      usage: chatUsage(answer.usage),
      system_fingerprint: null,
    },
    { 'x-request-id': ctx.ids.next('req_') },
  );
}

export async function streamChatCompletion(
  ctx: ReplyContext,
  answer: Answer,
  includeUsage: boolean,
): Promise<void> {
  const stream = new EventStream(ctx.res, ctx.chunkDelayMs, ctx.signal, {
    'x-request-id': ctx.ids.next('req_'),
  });
  const head = {
    id: ctx.ids.next('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: unixSeconds(),
    model: ctx.model,
    system_fingerprint: null,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const call = toolCallOf(answer, ctx);
  const chunks: unknown[] = [];
  if (answer.text !== null) {
    chunks.push(chunk({ role: 'assistant', content: '', refusal: null }));
    for (const content of splitText(answer.text)) chunks.push(chunk({ content }));
  }
  if (call !== null) {
    const start = {
      index: 0,
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: '' },
    };
    chunks.push(
      chunk(
        answer.text === null
          ? { role: 'assistant', content: null, refusal: null, tool_calls: [start] }
          : { tool_calls: [start] },
      ),
    );
    for (const piece of splitJson(call.arguments)) {
      chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    }
  }
  chunks.push(chunk({}, finishReason(answer)));
  if (includeUsage) chunks.push({ ...head, choices: [], usage: chatUsage(answer.usage) });
  for (const data of chunks) await stream.send(dataEvent(data));
  await stream.send('data: [DONE]\n\n');
  stream.end();
}
