import type { ForgeApi } from '../forges/forge.ts';
import type { FlowSource } from '../triggers/trigger-store.ts';
import type { CatalogStore } from './catalog-store.ts';
import type { FlowDefinition } from './flow-definition.ts';
import { parseFlow, type FlowError } from './parse-flow.ts';

export type ResolvedFlow =
  { ok: true; flow: FlowDefinition; source: string } | { ok: false; source: string; error: string };

function describeErrors(source: string, errors: FlowError[]): string {
  const shown = errors.slice(0, 3).map((e) => {
    const where = e.line === undefined ? '' : ` (line ${e.line}, column ${e.column ?? 1})`;
    return `${e.message}${where}`;
  });
  const more = errors.length > 3 ? `; and ${errors.length - 3} more` : '';
  return `invalid flow definition in ${source}: ${shown.join('; ')}${more}`;
}

/**
 * Finds and parses the flow a trigger runs: a file on the project's default branch, or an
 * entry of Baton's catalog. A failure comes back as a sentence for the thread, naming the file
 * and the line, never as an exception.
 */
export async function resolveFlow(input: {
  source: FlowSource;
  api: ForgeApi;
  projectId: number;
  defaultBranch: string | null;
  catalog: CatalogStore;
}): Promise<ResolvedFlow> {
  const { source } = input;
  if (source.kind === 'catalog') {
    const entry = await input.catalog.get(source.flowId);
    const name = `catalog flow ${entry?.name ?? source.flowId}`;
    if (!entry) return { ok: false, source: name, error: 'invalid or missing flow definition' };
    const parsed = parseFlow(entry.definition, { source: name });
    return parsed.ok
      ? { ok: true, flow: parsed.flow, source: name }
      : { ok: false, source: name, error: describeErrors(name, parsed.errors) };
  }
  const name = `\`${source.path}\``;
  if (input.defaultBranch === null) {
    return {
      ok: false,
      source: name,
      error: 'the project has no default branch to read the flow file from',
    };
  }
  const text = await input.api.readFile(input.projectId, source.path, input.defaultBranch);
  if (text === null) {
    return {
      ok: false,
      source: name,
      error: `invalid or missing flow definition: ${name} does not exist on branch ${input.defaultBranch}`,
    };
  }
  const parsed = parseFlow(text, { source: source.path });
  return parsed.ok
    ? { ok: true, flow: parsed.flow, source: name }
    : { ok: false, source: name, error: describeErrors(name, parsed.errors) };
}
