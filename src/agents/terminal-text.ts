/** Plain-text output of CLIs that have no machine-readable mode. */

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and lone escapes.
const terminalCodes =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** The text without terminal control sequences and carriage returns. */
export function stripTerminalCodes(text: string): string {
  return text.replace(terminalCodes, '').replace(/\r/g, '');
}

/** The most text a plain-text final answer keeps (its end, where the answer is). */
export const maxPlainAnswerLength = 100_000;

/** Keeps at most `max` characters of a growing text: its end. */
export function keepTail(text: string, max: number = maxPlainAnswerLength): string {
  return text.length <= max ? text : text.slice(text.length - max);
}
