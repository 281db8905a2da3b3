import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../../errors/app-error.ts';
import type { Logger } from '../../logging/logger.ts';
import {
  HttpTransport,
  TransportError,
  type Method,
  type TransportResponse,
} from './http-transport.ts';

export interface GitLabHttpOptions {
  /** Instance base URL, e.g. `https://gitlab.example.com` (no `/api/v4`). */
  baseUrl: string;
  token: string;
  /** Attempts after the first, for retryable failures. */
  retries?: number;
  /** Upper bound for one wait between attempts, including a server's Retry-After. */
  maxRetryDelayMs?: number;
  /** First backoff step; doubled per attempt, with jitter. */
  baseRetryDelayMs?: number;
  timeoutMs?: number;
  logger?: Logger;
  /** Injected for tests that must not wait in real time. */
  wait?: (ms: number) => Promise<unknown>;
}

export interface RequestOptions<T> {
  query?: Record<string, string | number | boolean | undefined>;
  body?: Record<string, unknown>;
  schema: z.ZodType<T>;
}

type Outcome =
  | { kind: 'response'; response: TransportResponse }
  | { kind: 'network'; error: unknown; sent: boolean };

function header(response: TransportResponse, name: string): string | null {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

const ok = (response: TransportResponse) => response.status >= 200 && response.status < 300;

function statusCode(status: number): ErrorCode {
  if (status === 401) return 'FORGE_UNAUTHORIZED';
  if (status === 403) return 'FORGE_FORBIDDEN';
  if (status === 404) return 'FORGE_NOT_FOUND';
  if (status === 429 || status >= 500) return 'FORGE_UNAVAILABLE';
  return 'FORGE_REJECTED';
}

/** GitLab's error bodies carry `message` (string, array or object) or `error` (+ description). */
function gitlabMessage(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const parts = [body.error, body.error_description, body.message].filter((v) => v !== undefined);
    if (parts.length > 0) {
      return parts.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(': ');
    }
  } catch {
    // Not JSON: GitLab answers some errors (429 "Retry later") as plain text.
  }
  return text.slice(0, 500);
}

/** Seconds or an HTTP date, per RFC 9110; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * A thin HTTP transport for GitLab's REST API v4: token auth, JSON, typed errors, bounded
 * retries. Retries GETs/PUTs/DELETEs on 429, 5xx and network failures; retries POSTs only where
 * the request certainly did not take effect (429, connection refused), so a note is never
 * posted twice.
 */
export class GitLabHttp {
  readonly baseUrl: string;
  private readonly apiUrl: string;
  private readonly options: Required<Omit<GitLabHttpOptions, 'logger'>> & { logger?: Logger };
  private readonly transport: HttpTransport;

  constructor(options: GitLabHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiUrl = `${this.baseUrl}/api/v4`;
    this.options = {
      retries: 4,
      maxRetryDelayMs: 30_000,
      baseRetryDelayMs: 250,
      timeoutMs: 10_000,
      wait: (ms: number) => delay(ms),
      ...options,
    };
    this.transport = new HttpTransport({ timeoutMs: this.options.timeoutMs });
  }

  url(path: string, query: RequestOptions<unknown>['query'] = {}): URL {
    const url = new URL(`${this.apiUrl}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  async request<T>(method: Method, path: string, options: RequestOptions<T>): Promise<T> {
    const { value } = await this.send(method, this.url(path, options.query), options);
    return value;
  }

  /** Every page of a list, following `Link: rel="next"` only within this instance. */
  async all<T>(path: string, options: RequestOptions<T[]> & { maxItems?: number }): Promise<T[]> {
    const items: T[] = [];
    const max = options.maxItems ?? Number.POSITIVE_INFINITY;
    let next: URL | null = this.url(path, { per_page: 100, ...options.query });
    for (let page = 0; next !== null && page < 1000 && items.length < max; page += 1) {
      const { value, response } = await this.send('GET', next, options);
      items.push(...value);
      next = this.nextPage(header(response, 'link'));
    }
    return items.length > max ? items.slice(0, max) : items;
  }

  private nextPage(link: string | null): URL | null {
    const match = link ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
    if (!match?.[1]) return null;
    const next = new URL(match[1]);
    // A Link header is data from the server; never follow it to another host.
    return next.origin === new URL(this.apiUrl).origin ? next : null;
  }

  private async send<T>(
    method: Method,
    url: URL,
    options: RequestOptions<T>,
  ): Promise<{ value: T; response: TransportResponse }> {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.attempt(method, url, options.body);
      if (outcome.kind === 'response' && ok(outcome.response)) {
        return {
          value: this.parse(outcome.response, options.schema, method, url),
          response: outcome.response,
        };
      }
      const retryable = this.isRetryable(method, outcome);
      if (!retryable || attempt >= this.options.retries) throw this.failure(method, url, outcome);
      const waitMs = this.backoff(attempt, outcome);
      this.options.logger?.warn(
        {
          method,
          path: url.pathname,
          attempt: attempt + 1,
          waitMs,
          status: outcome.kind === 'response' ? outcome.response.status : undefined,
        },
        'retrying GitLab request',
      );
      await this.options.wait(waitMs);
    }
  }

  private async attempt(
    method: Method,
    url: URL,
    body: Record<string, unknown> | undefined,
  ): Promise<Outcome> {
    const headers: Record<string, string> = {
      'PRIVATE-TOKEN': this.options.token,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.transport.send(
        method,
        url,
        headers,
        body === undefined ? undefined : JSON.stringify(body),
      );
      return { kind: 'response', response };
    } catch (error) {
      return { kind: 'network', error, sent: !(error instanceof TransportError) || error.sent };
    }
  }

  private isRetryable(method: Method, outcome: Outcome): boolean {
    if (outcome.kind === 'network') return method !== 'POST' || !outcome.sent;
    const status = outcome.response.status;
    if (status === 429) return true;
    return status >= 500 && method !== 'POST';
  }

  private backoff(attempt: number, outcome: Outcome): number {
    const server =
      outcome.kind === 'response' ? retryAfterMs(header(outcome.response, 'retry-after')) : null;
    const exponential = this.options.baseRetryDelayMs * 2 ** attempt;
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    return Math.min(this.options.maxRetryDelayMs, server ?? jittered);
  }

  private failure(method: Method, url: URL, outcome: Outcome): AppError {
    const where = `${method} ${url.pathname}`;
    if (outcome.kind === 'network') {
      return new AppError(
        'FORGE_UNAVAILABLE',
        `GitLab at ${this.baseUrl} could not be reached (${where})`,
        {
          cause: outcome.error,
        },
      );
    }
    const { status } = outcome.response;
    const message = gitlabMessage(outcome.response.body);
    return new AppError(statusCode(status), `GitLab answered ${status} to ${where}: ${message}`, {
      details: { status, path: url.pathname },
    });
  }

  private parse<T>(response: TransportResponse, schema: z.ZodType<T>, method: Method, url: URL): T {
    const text = response.body;
    let json: unknown = null;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new AppError(
          'FORGE_BAD_RESPONSE',
          `GitLab sent a body that is not JSON for ${method} ${url.pathname}`,
          {
            cause: error,
          },
        );
      }
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new AppError(
        'FORGE_BAD_RESPONSE',
        `GitLab's answer to ${method} ${url.pathname} is not what Baton expects: ${first ? `${first.path.join('.')} ${first.message}` : 'invalid'}`,
      );
    }
    return parsed.data;
  }
}
