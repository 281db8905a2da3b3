/**
 * Agent output goes into notes and merge request descriptions, where GitLab runs quick actions
 * (`/merge`, `/approve`, `/assign_reviewer`...) found at the start of a line. An agent steered
 * by a hostile issue could otherwise act with the service account's rights; a backslash keeps
 * the text readable and stops the command.
 */
export function neutralizeQuickActions(text: string): string {
  const lines = text.split('\n');
  const exempt = closedCodeBlockLines(lines);
  return lines
    .map((line, index) =>
      exempt.has(index) ? line : line.replace(/^([ \t]*)\/(?=[A-Za-z])/, '$1\\/'),
    )
    .join('\n');
}

/**
 * Lines inside fenced code that GitLab's quick-action extractor skips: from a line starting
 * with three backticks to the next line that is exactly three backticks. An unclosed fence
 * protects nothing there, so it is not exempt here either.
 */
function closedCodeBlockLines(lines: readonly string[]): Set<number> {
  const exempt = new Set<number>();
  let open: number | null = null;
  lines.forEach((line, index) => {
    if (open === null) {
      if (line.startsWith('```')) open = index;
    } else if (line === '```') {
      for (let i = open; i <= index; i += 1) exempt.add(i);
      open = null;
    }
  });
  return exempt;
}

/** Cuts text to at most `max` characters, saying so. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = '\n\n…(cut)';
  return text.slice(0, Math.max(0, max - marker.length)) + marker;
}

/** Inline code that survives backticks in the value. */
export function inlineCode(value: string): string {
  const fence = value.includes('`') ? '``' : '`';
  return `${fence}${value.replace(/\n/g, ' ')}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run inside. */
export function codeBlock(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}
