/**
 * Reading one line of a CLI's JSONL output. CLIs mix human text (warnings, banners) into their
 * output now and then; such lines are not errors, only not events.
 */

/** The line's JSON object, or undefined when the line is not one. Never throws. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
