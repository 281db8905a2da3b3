import type { FlowError } from './parse-flow.ts';

function codeFrame(text: string, line: number, column: number): string[] {
  const sourceLine = text.split(/\r?\n/)[line - 1];
  if (sourceLine === undefined) return [];
  const gutter = String(line).length;
  return [
    `  ${String(line)} | ${sourceLine}`,
    `  ${' '.repeat(gutter)} | ${' '.repeat(Math.max(column - 1, 0))}^`,
  ];
}

/**
 * Renders flow errors for a terminal, one per line in the `file:line:column: message` form
 * editors and CI logs turn into links. With the file's text, each error also shows its line.
 */
export function formatFlowErrors(
  errors: readonly FlowError[],
  source: string,
  text?: string,
): string {
  const lines: string[] = [];
  for (const error of errors) {
    const location =
      error.line === undefined ? source : `${source}:${error.line}:${error.column ?? 1}`;
    lines.push(`${location}: ${error.message}`);
    if (text !== undefined && error.line !== undefined) {
      lines.push(...codeFrame(text, error.line, error.column ?? 1));
    }
  }
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  lines.push(`${source}: ${count}`);
  return lines.join('\n');
}
