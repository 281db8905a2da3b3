import type { z } from 'zod';
import { gitLabFlowKeys, nativeFlowKeys } from './flow-schema.ts';
import type { YamlNodeEnd } from './locate-yaml-node.ts';

export type FlowForm = 'gitlab' | 'native';

/** One problem found in a flow, described the way GitLab's schema validator words it. */
export interface DescribedIssue {
  path: (string | number)[];
  message: string;
  /** Where to point in the source: the key itself, or the value under `path`. */
  end: YamlNodeEnd;
}

export function jsonPointer(path: readonly (string | number)[]): string {
  return path
    .map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`)
    .join('');
}

function where(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'root' : `\`${jsonPointer(path)}\``;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

const expectedNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

function typeHint(expected: string, actual: unknown, key: string | number | undefined): string {
  if (actual === null) return ' (the key has no value)';
  if (expected === 'boolean' && typeof actual === 'string') {
    return ' (write true or false, without quotes)';
  }
  if (expected === 'string' && typeof actual === 'object' && !Array.isArray(actual)) {
    return ' (YAML read this line as a mapping because it contains `: `; put the whole line in quotes)';
  }
  if (expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')) {
    return ' (put it in quotes to make it a string)';
  }
  if (expected === 'array' && typeof actual === 'string') {
    return key === 'commands'
      ? ' (write each command on its own line starting with `- `)'
      : ' (write each entry on its own line starting with `- `)';
  }
  return '';
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  const exact = allowed.find((candidate) => normaliseKey(candidate) === normaliseKey(key));
  if (exact) return exact;
  return allowed.find((candidate) => editDistance(candidate, key) <= 2);
}

function unknownKeyMessage(form: FlowForm, parent: (string | number)[], key: string): string {
  const base = `object property at \`${jsonPointer([...parent, key])}\` is a disallowed additional property`;
  if (parent.length > 0) {
    return parent[0] === 'id_tokens' ? `${base}; an ID token has only \`aud\`` : base;
  }
  if (form === 'native' && key === 'injectGatewayToken') {
    return `${base}; native flows always reach models through Baton's gateway, so remove it`;
  }
  const allowed = form === 'gitlab' ? gitLabFlowKeys : nativeFlowKeys;
  if (form === 'gitlab' && (nativeFlowKeys as readonly string[]).includes(key)) {
    return `${base}; \`${key}\` belongs to a Baton-native flow, which starts with \`agent:\``;
  }
  const suggestion = suggestKey(key, allowed);
  const hint = suggestion ? ` (did you mean \`${suggestion}\`?)` : '';
  return `${base}${hint}; allowed keys are ${allowed.join(', ')}`;
}

/** Turns zod issues into GitLab-worded messages, each pointing at the key or value at fault. */
export function describeFlowIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  form: FlowForm,
): DescribedIssue[] {
  const described: DescribedIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter(
      (segment): segment is string | number => typeof segment !== 'symbol',
    );
    const at = (issue as { params?: { at?: unknown } }).params?.at;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        described.push({
          path: [...path, key],
          message: unknownKeyMessage(form, path, key),
          end: 'key',
        });
      }
      continue;
    }
    const actual = valueAt(raw, path);
    if (issue.code === 'invalid_type' && actual === undefined && path.length > 0) {
      const parent = path.slice(0, -1);
      const key = String(path[path.length - 1]);
      described.push({
        path: parent,
        message: `object at ${where(parent)} is missing required properties: ${key}`,
        end: 'value',
      });
      continue;
    }
    if (issue.code === 'invalid_type') {
      const expected = expectedNames[issue.expected] ?? issue.expected;
      const hint = typeHint(issue.expected, actual, path[path.length - 1]);
      described.push({
        path,
        message: `value at ${where(path)} is not ${expected}${hint}`,
        end: 'value',
      });
      continue;
    }
    const subject =
      at === 'root'
        ? 'object'
        : at === 'name'
          ? 'name'
          : at === 'key'
            ? 'object property'
            : 'value';
    described.push({
      path,
      message: `${subject} at ${where(path)} ${issue.message}`,
      end: at === 'key' || at === 'name' ? 'key' : 'value',
    });
  }
  return described;
}
