import type { FastifyRequest } from 'fastify';

/** A path parameter, already URL-decoded by the router (`demo%2Fapp` → `demo/app`). */
export function pathParam(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}
