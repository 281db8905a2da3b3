/**
 * Short, single-line descriptions of what a tool call touches. They end up in notes and logs,
 * so they name a path, a pattern or the first line of a command, never a file's contents.
 */

/** The longest summary a tool call gets. */
export const maxSummaryLength = 120;
/** The longest command text a `command` event carries. */
export const maxCommandLength = 500;

/** `text` cut to `max` characters, with an ellipsis when something was cut. */
export function clipText(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The first line only, trimmed, clipped; a cut-off rest is marked with an ellipsis. */
export function firstLine(text: string, max: number = maxSummaryLength): string {
  const trimmed = text.trim();
  const newline = trimmed.indexOf('\n');
  if (newline === -1) return clipText(trimmed, max);
  return clipText(`${trimmed.slice(0, newline).trimEnd()} …`, max);
}

/**
 * The first of `keys` that holds a non-empty string in `input`, as a summary. Keys that carry
 * contents (`content`, `new_string`, ...) must never be listed.
 */
export function summarizeToolInput(input: unknown, keys: readonly string[]): string {
  if (typeof input !== 'object' || input === null) return '';
  const record = input as Record<string, unknown>;
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return firstLine(value);
  }
  return '';
}

/** A command as a `command` event carries it: bounded, whitespace kept. */
export function commandText(command: string): string {
  return clipText(command.trim(), maxCommandLength);
}
