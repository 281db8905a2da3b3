import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { checkAdminInput, invalidRequest } from './parse-admin-input.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseSpec {
  description: string;
  /** Absent for 204 and for error statuses, which share one error body. */
  schema?: z.ZodType;
}

export interface AdminRouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
}

export interface AdminResult {
  status: number;
  body?: unknown;
}

/**
 * One admin route, described once: the same description mounts it in Fastify and writes its
 * entry in the OpenAPI document, so the two cannot drift apart.
 */
export interface AdminRoute<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Below `/api/admin`, in Fastify's syntax (`/triggers/:id`). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: Record<number, ResponseSpec>;
  handle(input: AdminRouteInput<P, Q, B>): Promise<AdminResult>;
}

/** Identity, for type inference of the handler's input from the schemas. */
export function adminRoute<P, Q, B>(route: AdminRoute<P, Q, B>): AdminRoute<P, Q, B> {
  return route;
}

export async function handleAdminRoute(
  route: AdminRoute,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const params = checkAdminInput(route.params, request.params, 'path');
  const query = checkAdminInput(route.query, request.query, 'query');
  const body = checkAdminInput(route.body, request.body, 'body');
  if (!params.ok || !query.ok || !body.ok) {
    throw invalidRequest([params, query, body].flatMap((c) => (c.ok ? [] : c.problems)));
  }
  const result = await route.handle({
    params: params.value,
    query: query.value,
    body: body.value,
    request,
  });
  const spec = route.responses[result.status];
  if (spec === undefined) {
    throw new AppError('INTERNAL', `${route.method} ${route.path} answered an undeclared status`);
  }
  reply.status(result.status);
  if (spec.schema === undefined) return reply.send();
  // Parsing strips every key the schema does not list: the documented shape is the only shape.
  return reply.send(spec.schema.parse(result.body));
}
