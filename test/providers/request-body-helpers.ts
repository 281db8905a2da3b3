/** Shared by the request-body builders: the working directory they state and schema helpers. */

export const workDir = '/work/repo';

export const str = (description: string) => ({ type: 'string', description });

export function objectSchema(properties: Record<string, unknown>, required: string[]) {
  return { type: 'object', properties, required, additionalProperties: false };
}
