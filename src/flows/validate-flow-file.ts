import { readFile } from 'node:fs/promises';
import type { FlowDefinition } from './flow-definition.ts';
import { formatFlowErrors } from './format-flow-errors.ts';
import { parseFlow, type FlowError } from './parse-flow.ts';

export type FlowFileValidation =
  | { ok: true; flow: FlowDefinition; report: string }
  | { ok: false; errors: FlowError[]; report: string };

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a flow file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
}

function summarise(flow: FlowDefinition): string {
  if (flow.format === 'native') {
    const parts = [`agent ${flow.agent}`];
    if (flow.model !== undefined) parts.push(`model ${flow.model}`);
    if (flow.timeoutSeconds !== undefined) parts.push(`timeout ${flow.timeoutSeconds} s`);
    return `valid Baton-native flow (${parts.join(', ')})`;
  }
  const commands = flow.commands.length === 1 ? '1 command' : `${flow.commands.length} commands`;
  const gateway = flow.injectGatewayToken ? ', injectGatewayToken' : '';
  return `valid GitLab-format flow (image ${flow.image}, ${commands}${gateway})`;
}

/**
 * Reads and checks one flow file for `baton flow validate FILE`. Never throws: an unreadable file
 * is reported like any other error. `report` is ready to print; exit non-zero when `ok` is false.
 */
export async function validateFlowFile(path: string): Promise<FlowFileValidation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const errors: FlowError[] = [{ path: '', message: describeReadError(error) }];
    return { ok: false, errors, report: formatFlowErrors(errors, path) };
  }
  const result = parseFlow(text, { source: path });
  if (result.ok)
    return { ok: true, flow: result.flow, report: `${path}: ${summarise(result.flow)}` };
  return { ok: false, errors: result.errors, report: formatFlowErrors(result.errors, path, text) };
}
