/**
 * An error answered with GitLab's own status and body. GitLab's bodies come in several forms
 * (`message` as string, array or object; Grape's `error`), and clients read them differently,
 * so each helper reproduces the exact form GitLab uses for that case.
 */
export class ForgeError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(`GitLab error ${status}`);
    this.name = 'ForgeError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export const unauthorized = (): ForgeError => new ForgeError(401, { message: '401 Unauthorized' });

export const invalidToken = (reason: 'expired' | 'revoked'): ForgeError =>
  new ForgeError(
    401,
    {
      error: 'invalid_token',
      error_description:
        reason === 'expired'
          ? 'Token is expired. You can either do re-authorization or token refresh.'
          : 'Token was revoked. You have to re-authorize from the user.',
    },
    {
      'WWW-Authenticate': `Bearer realm="Protected by OAuth 2.0", error="invalid_token"`,
    },
  );

export const insufficientScope = (scopes: readonly string[]): ForgeError =>
  new ForgeError(
    403,
    {
      error: 'insufficient_scope',
      error_description:
        'The request requires higher privileges than provided by the access token.',
      scope: scopes.join(' '),
    },
    {
      'WWW-Authenticate': `Bearer realm="Protected by OAuth 2.0", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", scope="${scopes.join(' ')}"`,
    },
  );

export const forbidden = (detail?: string): ForgeError =>
  new ForgeError(403, {
    message: detail === undefined ? '403 Forbidden' : `403 Forbidden - ${detail}`,
  });

/** `notFound('Project')` → `404 Project Not Found`; without a subject → `404 Not found`. */
export const notFound = (subject?: string): ForgeError =>
  new ForgeError(404, {
    message: subject === undefined ? '404 Not found' : `404 ${subject} Not Found`,
  });

/** Grape's missing-parameter form: `{"error":"branch is missing, ref is missing"}`. */
export const missingParams = (names: readonly string[]): ForgeError =>
  new ForgeError(400, { error: names.map((name) => `${name} is missing`).join(', ') });

export const invalidParams = (names: readonly string[]): ForgeError =>
  new ForgeError(400, { error: names.map((name) => `${name} is invalid`).join(', ') });

export const badRequest = (message: unknown): ForgeError => new ForgeError(400, { message });

export const conflict = (message: unknown): ForgeError => new ForgeError(409, { message });
