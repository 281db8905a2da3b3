import type { z } from 'zod';
import { AppError } from '../errors/app-error.ts';

export type InputPart = 'body' | 'query' | 'path';

function location(part: InputPart, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}.${String(key)}`),
    part,
  );
}

function describeIssue(part: InputPart, issue: z.core.$ZodIssue): string[] {
  const at = location(part, issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${at}: unknown key "${key}"`);
  }
  return [`${at}: ${issue.message}`];
}

/**
 * Parses one part of a request with a strict schema. The message names every offending key,
 * so a caller can fix the request without reading the OpenAPI document.
 */
export function parseAdminInput<T>(schema: z.ZodType<T>, value: unknown, part: InputPart): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => describeIssue(part, issue));
  throw new AppError('BAD_REQUEST', `Invalid request: ${problems.join('; ')}`, {
    details: { problems },
  });
}
