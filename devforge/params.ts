import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidParams, missingParams } from './forge-error.ts';

type Json = unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns Rack-style flat keys (`a[]`, `a[b]`, `a[0][b]`) into nested values, because GitLab reads
 * parameters the same way from a query string, a form, a multipart body or JSON.
 */
export function expandBracketKeys(flat: Record<string, unknown>): Record<string, Json> {
  const root: Record<string, Json> = {};
  for (const [rawKey, rawValue] of Object.entries(flat)) {
    const values = Array.isArray(rawValue) ? rawValue : [rawValue];
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (match === null || match[2] === '') {
      root[rawKey] = rawValue;
      continue;
    }
    const head = match[1] ?? rawKey;
    const segments = [...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '');
    for (const value of values) assignPath(root, [head, ...segments], value);
  }
  return root;
}

function assignPath(target: Record<string, Json> | Json[], path: string[], value: Json): void {
  const [segment, ...rest] = path;
  if (segment === undefined) return;
  const container = target as Record<string, Json>;
  if (rest.length === 0) {
    if (Array.isArray(target) && segment === '') target.push(value);
    else container[segment] = value;
    return;
  }
  const nextIsArray = rest[0] === '' || /^\d+$/.test(rest[0] ?? '');
  const key = Array.isArray(target) && segment === '' ? String(target.length) : segment;
  let child = container[key];
  if (!isRecord(child) && !Array.isArray(child)) {
    child = nextIsArray ? [] : {};
    container[key] = child;
  }
  assignPath(child as Record<string, Json> | Json[], rest, value);
}

/** Query string and body merged (body wins), keys expanded. Multipart file parts are ignored. */
export function requestParams(request: FastifyRequest): Record<string, Json> {
  const query = isRecord(request.query) ? expandBracketKeys(request.query) : {};
  const body = isRecord(request.body) ? expandBracketKeys(request.body) : {};
  return { ...query, ...body };
}

/** Parses request parameters with `schema`, answering GitLab's Grape-style 400s on failure. */
export function parseParams<T extends z.ZodType>(request: FastifyRequest, schema: T): z.output<T> {
  const params = requestParams(request);
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const missing = new Set<string>();
  const invalid = new Set<string>();
  for (const issue of result.error.issues) {
    const name = issue.path.map(String).join('[') + (issue.path.length > 1 ? ']' : '');
    const top = String(issue.path[0] ?? '');
    if (params[top] === undefined || params[top] === '') missing.add(name || top);
    else invalid.add(name || top);
  }
  if (missing.size > 0) throw missingParams([...missing]);
  throw invalidParams([...invalid]);
}

/** Booleans arrive as JSON booleans or as strings from forms and query strings. */
export const boolParam = z.preprocess((value) => {
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0 || value === '') return false;
  return value;
}, z.boolean());

export const intParam = z.preprocess(
  (value) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value),
  z.number().int(),
);

/** `ids[]=1&ids[]=2`, `ids=1,2`, `[1,2]`, or a single id. An empty value clears the list. */
export const intListParam = z.preprocess((value) => {
  if (value === '' || value === null) return [];
  const list: unknown[] = Array.isArray(value)
    ? (value as unknown[])
    : typeof value === 'string'
      ? value.split(',')
      : [value];
  return list
    .filter((item) => item !== '')
    .map((item) => (typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item));
}, z.array(z.number().int()));

/** Labels come as a comma-separated string or an array. */
export const labelsParam = z.preprocess((value) => {
  if (Array.isArray(value)) return value as unknown[];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean);
  return value;
}, z.array(z.string()));

export const stringParam = z.preprocess(
  (value) => (typeof value === 'number' ? String(value) : value),
  z.string(),
);
