/**
 * Gemini API v1beta (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
 * `:countTokens`; Gemini CLI): request reading, replies and Google's error body. With `alt=sse`
 * a stream is data-only events with no end marker; only the last chunk carries `finishReason`
 * and `usageMetadata`. Without it the same chunks come as one streamed JSON array.
 */
import { z } from 'zod';
import { dataEvent, EventStream, sendJson, splitText, type ReplyContext } from './http-io.ts';
import { asArray, contentTexts, isRecord, type RequestFacts } from './request-facts.ts';
import type { ReplyUsage, ScriptedReply } from './scripted-reply.ts';

export const geminiBodySchema = z.looseObject({
  contents: z.array(z.unknown()),
  systemInstruction: z.unknown().optional(),
  tools: z.array(z.unknown()).optional(),
  generationConfig: z.looseObject({}).optional(),
});
export type GeminiBody = z.infer<typeof geminiBodySchema>;

/** countTokens takes `contents` or a whole `generateContentRequest`. */
export const geminiCountBodySchema = z.looseObject({
  contents: z.array(z.unknown()).optional(),
  generateContentRequest: z.unknown().optional(),
});

const statuses: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** `{"error":{"code","message","status"}}` with Google's status name for the HTTP status. */
export function geminiErrorBody(status: number, message: string): unknown {
  const name = statuses[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  return { error: { code: status, message, status: name } };
}

export function sendGeminiError(ctx: Pick<ReplyContext, 'res'>, status: number, message: string) {
  sendJson(ctx.res, status, geminiErrorBody(status, message));
}

function parts(content: unknown): Record<string, unknown>[] {
  return isRecord(content) ? asArray(content['parts']).filter(isRecord) : [];
}

function partTexts(content: unknown): string[] {
  return typeof content === 'string'
    ? [content]
    : contentTexts(isRecord(content) ? content['parts'] : []);
}

function jsonSchemaOf(body: GeminiBody): unknown {
  const config = body.generationConfig ?? {};
  const schema = config['responseJsonSchema'] ?? config['responseSchema'];
  if (schema !== undefined) return schema;
  return config['responseMimeType'] === 'application/json' ? {} : null;
}

export function readGeminiFacts(body: GeminiBody, model: string): RequestFacts {
  const contents = body.contents.filter(isRecord);
  const firstAnswer = contents.findIndex((content) => content['role'] === 'model');
  const beforeAnswer = firstAnswer === -1 ? contents : contents.slice(0, firstAnswer);
  return {
    tools: asArray(body.tools)
      .filter(isRecord)
      .flatMap((tool) => asArray(tool['functionDeclarations']).filter(isRecord))
      .flatMap((declaration) =>
        typeof declaration['name'] === 'string'
          ? [
              {
                name: declaration['name'],
                kind: 'function' as const,
                parameters: declaration['parametersJsonSchema'] ?? declaration['parameters'],
              },
            ]
          : [],
      ),
    toolResults: contents.flatMap(parts).filter((part) => isRecord(part['functionResponse']))
      .length,
    contextTexts: [...partTexts(body.systemInstruction), ...contents.flatMap(partTexts)],
    promptTexts: beforeAnswer.filter((content) => content['role'] !== 'model').flatMap(partTexts),
    jsonSchema: jsonSchemaOf(body),
    model,
  };
}

/** Gemini counts cached tokens inside `promptTokenCount`. */
export function geminiUsage(usage: ReplyUsage) {
  const prompt = usage.input + usage.cacheRead + usage.cacheWrite;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: usage.output,
    totalTokenCount: prompt + usage.output,
    cachedContentTokenCount: usage.cacheRead,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

type Answer = Extract<ScriptedReply, { kind: 'answer' }>;

/** The response chunks: text pieces, then the function call; the last one ends the turn. */
function chunksOf(ctx: ReplyContext, answer: Answer, split: boolean): unknown[] {
  const responseId = ctx.ids.next('resp_');
  const pieces: Record<string, unknown>[][] = [];
  if (answer.text !== null) {
    const texts = split ? splitText(answer.text) : [answer.text];
    pieces.push(...texts.map((text) => [{ text }]));
  }
  if (answer.call !== null) {
    const { call } = answer;
    const args = call.kind === 'custom' ? { input: call.input } : call.arguments;
    pieces.push([{ functionCall: { name: call.name, args } }]);
  }
  if (!split) pieces.splice(0, pieces.length, pieces.flat());
  return pieces.map((chunkParts, index) => {
    const last = index === pieces.length - 1;
    return {
      candidates: [
        {
          content: { role: 'model', parts: chunkParts },
          ...(last ? { finishReason: 'STOP' } : {}),
          index: 0,
        },
      ],
      ...(last ? { usageMetadata: geminiUsage(answer.usage) } : {}),
      modelVersion: ctx.model,
      responseId,
    };
  });
}

export function sendGeminiContent(ctx: ReplyContext, answer: Answer): void {
  sendJson(ctx.res, 200, chunksOf(ctx, answer, false)[0]);
}

/** `:streamGenerateContent`: SSE with `alt=sse`, else a JSON array written element by element. */
export async function streamGeminiContent(
  ctx: ReplyContext,
  answer: Answer,
  sse: boolean,
): Promise<void> {
  const chunks = chunksOf(ctx, answer, true);
  if (sse) {
    const stream = new EventStream(ctx.res, ctx.chunkDelayMs, ctx.signal);
    for (const chunk of chunks) await stream.send(dataEvent(chunk));
    stream.end();
    return;
  }
  const stream = new EventStream(ctx.res, ctx.chunkDelayMs, ctx.signal, {
    'content-type': 'application/json; charset=UTF-8',
  });
  for (const [index, chunk] of chunks.entries()) {
    await stream.send(`${index === 0 ? '[' : ',\r\n'}${JSON.stringify(chunk)}`);
  }
  await stream.send(']');
  stream.end();
}

export function sendGeminiTokenCount(ctx: ReplyContext, tokens: number): void {
  sendJson(ctx.res, 200, {
    totalTokens: tokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: tokens }],
  });
}

/** One entry of `GET /v1beta/models`. */
export function geminiModel(id: string): unknown {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: `Scripted stand-in for ${id}`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'streamGenerateContent'],
  };
}
