/**
 * Typed application errors with stable codes. HTTP mapping lives in one place (the app's error
 * handler) and run-outcome mapping in another; nothing branches on message text.
 */
export const errorCodes = {
  CONFIG_INVALID: { status: 500, retryable: false },
  BAD_REQUEST: { status: 400, retryable: false },
  UNAUTHORIZED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  CONFLICT: { status: 409, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  DB_UNAVAILABLE: { status: 503, retryable: true },
  DB_SCHEMA_TOO_NEW: { status: 500, retryable: false },
  DB_MIGRATION_FAILED: { status: 500, retryable: false },
  DEPENDENCY_MISSING: { status: 500, retryable: false },
  /** The forge could not be reached, timed out, or kept failing (5xx, 429) after retries. */
  FORGE_UNAVAILABLE: { status: 502, retryable: true },
  /** The forge refused the token (401). */
  FORGE_UNAUTHORIZED: { status: 502, retryable: false },
  /** The forge refused the action (403), e.g. a missing scope or role. */
  FORGE_FORBIDDEN: { status: 502, retryable: false },
  /** The forge does not have, or does not show, the resource (404). */
  FORGE_NOT_FOUND: { status: 404, retryable: false },
  /** The forge rejected the request (400, 409, 422). */
  FORGE_REJECTED: { status: 502, retryable: false },
  /** The forge answered with a body Baton cannot read. */
  FORGE_BAD_RESPONSE: { status: 502, retryable: false },
  INTERNAL: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof errorCodes;

export interface AppErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
