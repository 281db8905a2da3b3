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

export type InputCheck<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Checks one part of a request against a strict schema, naming every offending key. */
export function checkAdminInput<T>(
  schema: z.ZodType<T> | undefined,
  value: unknown,
  part: InputPart,
): InputCheck<T | undefined> {
  if (schema === undefined) return { ok: true, value: undefined };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.flatMap((issue) => describeIssue(part, issue)),
  };
}

/** One error for the whole request, so a caller can fix everything in one go. */
export function invalidRequest(problems: readonly string[]): AppError {
  return new AppError('BAD_REQUEST', `Invalid request: ${problems.join('; ')}`, {
    details: { problems },
  });
}
