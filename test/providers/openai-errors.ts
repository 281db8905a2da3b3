/** OpenAI's error body and model list, shared by the Responses and chat-completions routes. */
import { sendJson } from './http-io.ts';
import type { IdSource } from './http-io.ts';
import type { ServerResponse } from 'node:http';

function typeAndCode(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/** `{"error":{"message","type","param","code"}}`; `code` overrides the one the status implies. */
export function openaiErrorBody(status: number, message: string, code?: string | null): unknown {
  const implied = typeAndCode(status);
  return {
    error: {
      message,
      type: implied.type,
      param: null,
      code: code === undefined ? implied.code : code,
    },
  };
}

export function sendOpenaiError(
  ctx: { res: ServerResponse; ids: IdSource },
  status: number,
  message: string,
  code?: string | null,
): void {
  sendJson(ctx.res, status, openaiErrorBody(status, message, code), {
    'x-request-id': ctx.ids.next('req_'),
  });
}

/** The OpenAI shape of `GET /v1/models`. */
export function openaiModelList(models: string[]): unknown {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 1_767_225_600, owned_by: 'system' })),
  };
}

/** How OpenAI shows a wrong key in its 401 message: never the whole key. */
export function maskKey(key: string): string {
  return key.length > 10 ? `${key.slice(0, 3)}***${key.slice(-4)}` : '***';
}
