/**
 * Turns a scripted `write` or `shell` turn into a call of a tool the requesting CLI actually
 * offered: Claude Code (`Write`, `Edit`, `Bash`), Codex (`apply_patch`, `exec_command`), opencode
 * (`write`, `bash`), Gemini CLI (`write_file`, `run_shell_command`), and, for other tool sets, a
 * tool whose name and parameters look like a file writer or a shell.
 */
import path from 'node:path';
import { isRecord, type OfferedTool } from './request-facts.ts';

export type ToolCall =
  | { kind: 'function'; name: string; arguments: Record<string, unknown> }
  /** The Responses API's free-form tool call: plain text input (Codex's `apply_patch`). */
  | { kind: 'custom'; name: string; input: string };

export interface MappingContext {
  tools: OfferedTool[];
  /** The absolute working directory the harness stated, for tools that need absolute paths. */
  cwd: string | null;
}

const pathKeys = ['file_path', 'filePath', 'path', 'filename', 'file', 'target_file'];
const contentKeys = ['content', 'contents', 'text', 'file_text', 'data'];
const commandKeys = ['command', 'cmd', 'script', 'commandLine'];

// Named tools first, in the order a CLI's own tool should win; then the name-pattern fallback.
const writeToolNames = ['Write', 'write', 'write_file'];
const shellToolNames = ['Bash', 'exec_command', 'bash', 'run_shell_command', 'shell'];
const genericWriteName = /write|create_?file|save_?file/i;
const genericShellName = /shell|bash|exec|command|terminal|run/i;

function properties(tool: OfferedTool): Record<string, unknown> {
  const schema = tool.parameters;
  return isRecord(schema) && isRecord(schema['properties']) ? schema['properties'] : {};
}

function firstKey(tool: OfferedTool, keys: string[]): string | undefined {
  const declared = properties(tool);
  return keys.find((key) => key in declared);
}

function wantsAbsolute(tool: OfferedTool, key: string): boolean {
  if (['Write', 'Edit', 'write'].includes(tool.name)) return true;
  const property = properties(tool)[key];
  const description = isRecord(property) ? property['description'] : undefined;
  return typeof description === 'string' && /absolute/i.test(description);
}

function resolvePath(filePath: string, cwd: string | null, absolute: boolean): string {
  if (!absolute || path.posix.isAbsolute(filePath) || cwd === null) return filePath;
  return path.posix.join(cwd, filePath);
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A shell command that writes the file byte for byte (what a model does without a file tool). */
export function writeFileCommand(filePath: string, content: string): string {
  const dir = path.posix.dirname(filePath);
  const mkdir = dir === '.' || dir === '/' ? '' : `mkdir -p ${shellQuote(dir)} && `;
  return `${mkdir}printf '%s' ${shellQuote(content)} > ${shellQuote(filePath)}`;
}

/** Codex's patch format for a new file; apply_patch ends the file with a newline. */
export function addFilePatch(filePath: string, content: string): string {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const added = lines.map((line) => `+${line}\n`).join('');
  return `*** Begin Patch\n*** Add File: ${filePath}\n${added}*** End Patch\n`;
}

function writeWith(
  tool: OfferedTool,
  file: { path: string; content: string },
  cwd: string | null,
): ToolCall | null {
  const pathKey = firstKey(tool, pathKeys);
  const contentKey = firstKey(tool, contentKeys);
  if (pathKey === undefined || contentKey === undefined) return null;
  const filePath = resolvePath(file.path, cwd, wantsAbsolute(tool, pathKey));
  return {
    kind: 'function',
    name: tool.name,
    arguments: { [pathKey]: filePath, [contentKey]: file.content },
  };
}

function shellWith(tool: OfferedTool, command: string): ToolCall | null {
  const declared = properties(tool);
  const noSchema = Object.keys(declared).length === 0;
  const key = firstKey(tool, commandKeys) ?? (noSchema ? 'command' : undefined);
  if (key === undefined) return null;
  const property = declared[key];
  const asArgv = isRecord(property) && property['type'] === 'array';
  const args: Record<string, unknown> = { [key]: asArgv ? ['bash', '-lc', command] : command };
  if ('description' in declared) args['description'] = 'Run the scripted command';
  return { kind: 'function', name: tool.name, arguments: args };
}

function byName(tools: OfferedTool[], names: string[]): OfferedTool[] {
  return names.flatMap((name) => tools.filter((tool) => tool.name === name));
}

/** A call that runs `command` in the requester's shell tool, or null when it offers none. */
export function mapShell(command: string, context: MappingContext): ToolCall | null {
  const candidates = [
    ...byName(context.tools, shellToolNames),
    ...context.tools.filter((tool) => genericShellName.test(tool.name)),
  ];
  for (const tool of candidates) {
    const call = shellWith(tool, command);
    if (call !== null) return call;
  }
  return null;
}

function applyPatch(tool: OfferedTool, patch: string): ToolCall {
  if (tool.kind === 'custom') return { kind: 'custom', name: tool.name, input: patch };
  const declared = Object.entries(properties(tool));
  const key = declared.find(([, value]) => isRecord(value) && value['type'] === 'string')?.[0];
  return { kind: 'function', name: tool.name, arguments: { [key ?? 'input']: patch } };
}

/**
 * A call that writes the file with the requester's own tool: its file-writing tool, Codex's
 * apply_patch, Claude Code's Edit (an empty `old_string` creates the file; `--bare` has no
 * Write), a tool that looks like a writer, and last its shell. Null when none fits.
 */
export function mapWrite(
  file: { path: string; content: string },
  context: MappingContext,
): ToolCall | null {
  for (const tool of byName(context.tools, writeToolNames)) {
    const call = writeWith(tool, file, context.cwd);
    if (call !== null) return call;
  }
  const patchTool = context.tools.find((tool) => tool.name === 'apply_patch');
  if (patchTool !== undefined) return applyPatch(patchTool, addFilePatch(file.path, file.content));
  const edit = context.tools.find((tool) => tool.name === 'Edit');
  if (edit !== undefined) {
    return {
      kind: 'function',
      name: 'Edit',
      arguments: {
        file_path: resolvePath(file.path, context.cwd, true),
        old_string: '',
        new_string: file.content,
      },
    };
  }
  for (const tool of context.tools.filter((candidate) => genericWriteName.test(candidate.name))) {
    const call = writeWith(tool, file, context.cwd);
    if (call !== null) return call;
  }
  return mapShell(writeFileCommand(file.path, file.content), context);
}
