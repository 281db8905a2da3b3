import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Hashing first gives equal lengths, so the comparison time says nothing about the token. */
export function adminTokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1];
}

function refusal(
  expected: string | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
): AppError | undefined {
  if (expected === undefined) {
    return new AppError(
      'FORBIDDEN',
      'The admin API is disabled: set BATON_ADMIN_TOKEN (at least 24 characters, e.g. `openssl rand -base64 32`) and restart Baton',
    );
  }
  const presented = bearerToken(request.headers.authorization);
  if (presented !== undefined && adminTokenMatches(presented, expected)) return undefined;
  reply.header('www-authenticate', 'Bearer realm="baton-admin"');
  return new AppError(
    'UNAUTHORIZED',
    presented === undefined
      ? 'Send the admin token as `Authorization: Bearer <token>`'
      : 'The admin token is not valid',
  );
}

/**
 * An onRequest hook: the admin API answers nothing, not even a validation error, before the
 * caller has proved it holds the admin token. Without a configured token it is switched off.
 */
export function requireAdminToken(expected: string | undefined) {
  return (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const error = refusal(expected, request, reply);
    return error === undefined ? Promise.resolve() : Promise.reject(error);
  };
}
