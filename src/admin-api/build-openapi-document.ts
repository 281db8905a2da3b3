import { z } from 'zod';
import type { AdminRoute } from './admin-route.ts';
import { errorResponse } from './admin-schemas.ts';

export const adminApiPrefix = '/api/admin';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  // OpenAPI 3.1 documents declare the dialect once; a $schema in every fragment is noise.
  delete converted.$schema;
  return converted;
}

/** Fastify's `/triggers/:id` is OpenAPI's `/triggers/{id}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:(\w+)/g, '{$1}');
}

function operationId(route: AdminRoute): string {
  const words = route.path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^a-zA-Z0-9]+/));
  return [route.method.toLowerCase(), ...words]
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

const errorRef = { $ref: '#/components/schemas/Error' };
const commonErrors: Record<number, string> = {
  400: 'The request is invalid; the message names each offending key',
  401: 'Missing or wrong admin token',
  403: 'The admin API is disabled: BATON_ADMIN_TOKEN is not set',
};

function responses(route: AdminRoute): Record<string, unknown> {
  const all: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const isError = Number(status) >= 400;
    const schema = isError ? errorRef : spec.schema && jsonSchema(spec.schema, 'output');
    all[status] = {
      description: spec.description,
      ...(schema ? { content: { 'application/json': { schema } } } : {}),
    };
  }
  for (const [status, description] of Object.entries(commonErrors)) {
    all[status] ??= { description, content: { 'application/json': { schema: errorRef } } };
  }
  return all;
}

function operation(route: AdminRoute): Record<string, unknown> {
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
  return {
    operationId: operationId(route),
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: responses(route),
  };
}

/** The OpenAPI 3.1 description of the admin API, from the very schemas that validate it. */
export function buildOpenApiDocument(
  routes: readonly AdminRoute[],
  info: { version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(`${adminApiPrefix}${route.path}`);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton admin API',
      version: info.version,
      description:
        'Register GitLab connections and service accounts, manage triggers, feature flags and catalog flows. See docs/admin-api.md.',
    },
    security: [{ adminToken: [] }],
    paths,
    components: {
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The value of BATON_ADMIN_TOKEN',
        },
      },
      schemas: { Error: jsonSchema(errorResponse, 'output') },
    },
  };
}
