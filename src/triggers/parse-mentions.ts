/**
 * Finds which of Baton's service accounts a GitLab comment addresses. A mention counts only where
 * a reader sees it as one: not in code, not in a quoted earlier message (so quoting a request does
 * not run it again), not in an HTML comment, not in a URL or an e-mail address.
 */

export type MarkdownRegionKind = 'code' | 'quote' | 'comment';

/** A half-open range [start, end) of the text that renders as code, a quote or a comment. */
export interface MarkdownRegion {
  kind: MarkdownRegionKind;
  start: number;
  end: number;
}

export interface ParsedMentions {
  /** Accounts asked to do something, once each, in order of first appearance. */
  mentions: string[];
  /** Accounts told `@account stop` on a line of its own: cancel their run. */
  stops: string[];
}

interface Line {
  start: number;
  end: number;
  text: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (const part of text.split('\n')) {
    lines.push({ start, end: start + part.length + 1, text: part });
    start += part.length + 1;
  }
  return lines;
}

const fenceOpen = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const quoteLine = /^ {0,3}>/;
const listItem = /^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:\s|$)/;
const indentedCode = /^(?: {4}|\t)/;
const blockComment = /^ {0,3}<!--/;
// GitLab's own multi-line blockquote: a line of `>>>` opens it and the next one closes it.
const gitLabQuoteFence = /^>>>\s*$/;

/** Block-level pass: fenced and indented code, `>` and `>>>` quotes, comment blocks. */
function scanBlocks(lines: Line[], textLength: number): MarkdownRegion[] {
  const regions: MarkdownRegion[] = [];
  const add = (kind: MarkdownRegionKind, from: Line, to: Line): void => {
    regions.push({ kind, start: from.start, end: Math.min(to.end, textLength) });
  };
  let previousBlank = true;
  let previousQuote = false;
  let previousIndentedCode = false;
  let inList = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as Line;
    const blank = line.text.trim() === '';
    const fence = fenceOpen.exec(line.text);
    const opensFence = fence && !(fence[1]?.startsWith('`') && fence[2]?.includes('`'));
    if (opensFence && fence[1]) {
      const marker = fence[1];
      const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
      let last = index + 1;
      // CommonMark: a fence that is never closed runs to the end of the document.
      while (last < lines.length && !close.test((lines[last] as Line).text)) last++;
      last = Math.min(last, lines.length - 1);
      add('code', line, lines[last] as Line);
      index = last;
      previousBlank = previousQuote = previousIndentedCode = false;
      continue;
    }
    if (gitLabQuoteFence.test(line.text) || blockComment.test(line.text)) {
      const quote = gitLabQuoteFence.test(line.text);
      let last = index;
      if (quote) {
        last = index + 1;
        while (last < lines.length && !gitLabQuoteFence.test((lines[last] as Line).text)) last++;
      } else {
        while (last < lines.length && !(lines[last] as Line).text.includes('-->')) last++;
      }
      last = Math.min(last, lines.length - 1);
      const lastLine = lines[last] as Line;
      if (quote) add('quote', line, lastLine);
      else {
        const close = lastLine.text.indexOf('-->');
        const end = close === -1 ? Math.min(lastLine.end, textLength) : lastLine.start + close + 3;
        regions.push({ kind: 'comment', start: line.start, end });
      }
      index = last;
      previousBlank = previousQuote = previousIndentedCode = false;
      continue;
    }
    const indented: boolean =
      !blank && indentedCode.test(line.text) && !inList && (previousBlank || previousIndentedCode);
    const quoted: boolean = !blank && (quoteLine.test(line.text) || (previousQuote && !indented));
    if (indented) add('code', line, line);
    else if (quoted) add('quote', line, line);
    if (!blank) {
      if (listItem.test(line.text)) inList = true;
      else if (!/^\s/.test(line.text) && !quoted) inList = false;
    }
    previousBlank = blank;
    previousQuote = quoted;
    previousIndentedCode = indented || (blank && previousIndentedCode);
  }
  return regions;
}

function insideAny(
  regions: readonly MarkdownRegion[],
  offset: number,
  kinds?: MarkdownRegionKind[],
): MarkdownRegion | undefined {
  return regions.find(
    (region) =>
      offset >= region.start && offset < region.end && (!kinds || kinds.includes(region.kind)),
  );
}

/** Inline pass, outside code blocks: code spans and HTML comments, whichever opens first. */
function scanInline(text: string, blocks: readonly MarkdownRegion[]): MarkdownRegion[] {
  const regions: MarkdownRegion[] = [];
  let index = 0;
  while (index < text.length) {
    const block = insideAny(blocks, index, ['code', 'comment']);
    if (block) {
      index = block.end;
      continue;
    }
    if (text.startsWith('<!--', index)) {
      const close = text.indexOf('-->', index + 4);
      const end = close === -1 ? text.length : close + 3;
      regions.push({ kind: 'comment', start: index, end });
      index = end;
      continue;
    }
    if (text[index] === '`') {
      let run = index;
      while (text[run] === '`') run++;
      const length = run - index;
      // A code span ends at the next run of exactly as many backticks within the paragraph.
      const paragraphEnd = text.slice(run).search(/\n[ \t]*\n/);
      const limit = paragraphEnd === -1 ? text.length : run + paragraphEnd;
      const closer = new RegExp(`(?<!\`)\`{${length}}(?!\`)`, 'g');
      closer.lastIndex = run;
      const match = closer.exec(text);
      if (match && match.index < limit) {
        regions.push({ kind: 'code', start: index, end: match.index + length });
        index = match.index + length;
      } else {
        index = run;
      }
      continue;
    }
    index++;
  }
  return regions;
}

/**
 * The parts of a Markdown text that render as code, quotes or HTML comments (GitLab Flavored
 * Markdown: fenced with ``` or ~~~, indented, inline spans, `>` and `>>>` quotes). Offsets are
 * into `text` as given; pass text with `\n` line endings.
 */
export function findMarkdownRegions(text: string): MarkdownRegion[] {
  const blocks = scanBlocks(splitLines(text), text.length);
  return [...blocks, ...scanInline(text, blocks)].sort((a, b) => a.start - b.start);
}

function urlRanges(text: string): MarkdownRegion[] {
  const ranges: MarkdownRegion[] = [];
  for (const match of text.matchAll(/\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s<>"]+/g)) {
    ranges.push({ kind: 'code', start: match.index, end: match.index + match[0].length });
  }
  return ranges;
}

// GitLab's username rules: letters, digits, `_`, `-`, `.`; not starting with `-`; not ending in
// `.` (so a full stop after a mention is punctuation). The look-behind is GitLab's (no word
// character before `@`), which is what keeps `a@b.com` from being a mention.
const mentionPattern = /(?<![A-Za-z0-9_])@([A-Za-z0-9_.][A-Za-z0-9_.-]*)/g;
const stopTail = /^[ \t]+stop[.!]?[ \t]*$/i;

/**
 * Which of `serviceAccounts` the comment mentions (matched case-insensitively, returned as spelled
 * in `serviceAccounts`), and which it tells to stop. A mention only counts outside code, quotes,
 * HTML comments and URLs. An account both stopped and asked for something else in one comment
 * appears in both lists; the caller cancels first, then queues the new request.
 */
export function parseMentions(text: string, serviceAccounts: Iterable<string>): ParsedMentions {
  const accounts = new Map<string, string>();
  for (const account of serviceAccounts) {
    const name = account.replace(/^@/, '');
    accounts.set(name.toLowerCase(), name);
  }
  const normalised = text.replace(/\r\n?/g, '\n');
  const excluded = [...findMarkdownRegions(normalised), ...urlRanges(normalised)];
  const mentions = new Set<string>();
  const stops = new Set<string>();

  for (const match of normalised.matchAll(mentionPattern)) {
    const at = match.index;
    if (insideAny(excluded, at)) continue;
    const username = (match[1] ?? '').replace(/\.+$/, '');
    const after = at + 1 + username.length;
    // `@group/project` names a namespace, not the user `group`.
    if (normalised[after] === '/' && /[A-Za-z0-9_]/.test(normalised[after + 1] ?? '')) continue;
    const account = accounts.get(username.toLowerCase());
    if (account === undefined) continue;

    const lineStart = normalised.lastIndexOf('\n', at - 1) + 1;
    const lineEnd = normalised.indexOf('\n', after);
    const before = normalised.slice(lineStart, at);
    const rest = normalised.slice(after, lineEnd === -1 ? normalised.length : lineEnd);
    if (before.trim() === '' && stopTail.test(rest)) stops.add(account);
    else mentions.add(account);
  }
  return { mentions: [...mentions], stops: [...stops] };
}
