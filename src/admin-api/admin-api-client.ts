import { z } from 'zod';

/** An answer from the admin API that is not a success, with its stable error code. */
export class AdminApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
    this.code = code;
  }
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A small HTTP client for the admin API, for the CLI. */
export class AdminApiClient {
  readonly #baseUrl: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
  }

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const url = `${this.#baseUrl}/api/admin${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AdminApiError(
        0,
        'UNREACHABLE',
        `Could not reach Baton at ${this.#baseUrl}: ${reason}`,
      );
    }
    const text = await response.text();
    const json = parseJson(text);
    if (response.ok) return json;
    const parsed = errorBody.safeParse(json);
    throw parsed.success
      ? new AdminApiError(response.status, parsed.data.error.code, parsed.data.error.message)
      : new AdminApiError(
          response.status,
          'HTTP_ERROR',
          `HTTP ${response.status}: ${text.slice(0, 300)}`,
        );
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
