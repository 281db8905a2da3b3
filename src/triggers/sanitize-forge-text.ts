import { findMarkdownRegions } from './parse-mentions.ts';

/**
 * Forge text (issue bodies, comments, MR descriptions) is hostile prompt input: what a reviewer
 * sees in GitLab must be all an agent gets. This removes what renders invisibly — control and
 * format characters, bidi overrides, tag-character smuggling, hidden HTML — and reports it, so the
 * audit log can show that something was hidden and what kind.
 */

export const removalKinds = [
  'control-character',
  'bidi-control',
  'zero-width',
  'tag-character',
  'variation-selector',
  'invisible-filler',
  'format-character',
  'html-comment',
  'script-or-style',
  'hidden-element',
  'markdown-comment',
] as const;
export type RemovalKind = (typeof removalKinds)[number];

export interface SanitizedForgeText {
  text: string;
  /** Non-zero counts only, in the order of `removalKinds`. Empty when nothing was removed. */
  removed: { kind: RemovalKind; count: number }[];
}

type Counts = Map<RemovalKind, number>;

function count(counts: Counts, kind: RemovalKind, by = 1): void {
  counts.set(kind, (counts.get(kind) ?? 0) + by);
}

const bidiControls = new Set([
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
]);
const zeroWidth = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x180e]);
const invisibleFillers = new Set([0x034f, 0x115f, 0x1160, 0x3164, 0xffa0]);
const zwnj = 0x200c;
const zwj = 0x200d;
const blackFlag = 0x1f3f4;
const cancelTag = 0xe007f;
/** The only tag sequences Unicode recommends: the flags of England, Scotland and Wales. */
const flagTagSequences = new Set(['gbeng', 'gbsct', 'gbwls']);

const emojiBefore = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u;
const emojiAfter = /\p{Extended_Pictographic}/u;
// Scripts whose spelling needs ZWJ/ZWNJ (Persian, Indic conjuncts, ...). Between their letters a
// joiner is orthography, not hiding; anywhere else it carries nothing a reader sees.
const joiningScripts =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Mongolian}]/u;
const formatCharacter = /\p{Cf}/u;
const hanCharacter = /\p{Script=Han}/u;

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

function isTag(cp: number): boolean {
  return cp >= 0xe0000 && cp <= 0xe007f;
}

/** Length of a recommended flag tag sequence starting after U+1F3F4 at `index`, or 0. */
function flagSequenceLength(points: number[], index: number): number {
  let letters = '';
  for (let next = index + 1; next < points.length && next <= index + 7; next++) {
    const cp = points[next] ?? 0;
    if (cp === cancelTag) return flagTagSequences.has(letters) ? next - index : 0;
    if (!isTag(cp)) return 0;
    letters += String.fromCodePoint(cp - 0xe0000);
  }
  return 0;
}

function classify(points: number[], index: number, kept: number[]): RemovalKind | undefined {
  const cp = points[index] ?? 0;
  const previous = kept.length > 0 ? String.fromCodePoint(kept[kept.length - 1] ?? 0) : '';
  const next = index + 1 < points.length ? String.fromCodePoint(points[index + 1] ?? 0) : '';
  if (cp === 0x09 || cp === 0x0a) return undefined;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return 'control-character';
  if (bidiControls.has(cp)) return 'bidi-control';
  if (cp === zwj && emojiBefore.test(previous) && emojiAfter.test(next)) return undefined;
  if ((cp === zwj || cp === zwnj) && joiningScripts.test(previous) && joiningScripts.test(next)) {
    return undefined;
  }
  if (zeroWidth.has(cp)) return 'zero-width';
  if (isTag(cp)) return 'tag-character';
  if (isVariationSelector(cp)) {
    // One selector after a visible character picks its glyph; a run of them, or one with no
    // base, is the "emoji smuggling" channel that encodes bytes in selectors.
    const base = kept[kept.length - 1];
    const afterSelector = index > 0 && isVariationSelector(points[index - 1] ?? 0);
    const baseOk =
      base !== undefined &&
      !afterSelector &&
      !/\s/u.test(previous) &&
      (cp < 0xe0100 || hanCharacter.test(previous));
    return baseOk ? undefined : 'variation-selector';
  }
  if (invisibleFillers.has(cp)) return 'invisible-filler';
  if (formatCharacter.test(String.fromCodePoint(cp))) return 'format-character';
  return undefined;
}

function stripCharacters(text: string, counts: Counts): string {
  const points = Array.from(text, (char) => char.codePointAt(0) ?? 0);
  const kept: number[] = [];
  for (let index = 0; index < points.length; index++) {
    const cp = points[index] ?? 0;
    if (cp === blackFlag) {
      const length = flagSequenceLength(points, index);
      kept.push(...points.slice(index, index + length + 1));
      index += length;
      continue;
    }
    const kind = classify(points, index, kept);
    if (kind) count(counts, kind);
    else kept.push(cp);
  }
  return String.fromCodePoint(...kept);
}

interface Removal {
  kind: RemovalKind;
  start: number;
  end: number;
}

const voidElements = new Set([
  'area',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'wbr',
]);
const unrendered = new Set(['script', 'style']);
const neverShown = new Set(['template']);

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}\\s*=\\s*("[^"]*"|'[^']*'|[^\\s"'>]+)`, 'i').exec(
    attributes,
  );
  return match?.[1]?.replace(/^["']|["']$/g, '');
}

function isHiddenElement(tag: string, attributes: string): boolean {
  if (neverShown.has(tag)) return true;
  if (/(?:^|\s)hidden(?:\s|=|\/|$)/i.test(attributes)) return true;
  if (tag === 'input' && attribute(attributes, 'type')?.toLowerCase() === 'hidden') return true;
  const style = attribute(attributes, 'style')?.toLowerCase().replace(/\s+/g, '');
  if (style === undefined) return false;
  return /(?:^|;)(?:display:none|visibility:(?:hidden|collapse)|opacity:0(?:\.0*)?(?:;|!|$)|font-size:0(?:px|em|rem|%)?(?:;|!|$))/.test(
    style,
  );
}

/** End of the element opened at `openEnd`, honouring nesting of the same tag. */
function elementEnd(text: string, tag: string, openEnd: number): number | undefined {
  const tags = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'gi');
  tags.lastIndex = openEnd;
  let depth = 1;
  for (let match = tags.exec(text); match; match = tags.exec(text)) {
    if (match[1] === '/') depth--;
    else if (!match[0].endsWith('/>')) depth++;
    if (depth === 0) return match.index + match[0].length;
  }
  return undefined;
}

function findHiddenHtml(text: string): Removal[] {
  const regions = findMarkdownRegions(text);
  const code = regions.filter((region) => region.kind === 'code');
  const inCode = (offset: number): boolean =>
    code.some((region) => offset >= region.start && offset < region.end);
  const removals: Removal[] = regions
    .filter((region) => region.kind === 'comment')
    .map((region) => ({ kind: 'html-comment', start: region.start, end: region.end }));
  const covered = (offset: number): boolean =>
    inCode(offset) || removals.some((removal) => offset >= removal.start && offset < removal.end);

  for (const match of text.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    const start = match.index;
    if (covered(start)) continue;
    const tag = (match[1] ?? '').toLowerCase();
    const attributes = match[2] ?? '';
    const isScript = unrendered.has(tag);
    if (!isScript && !isHiddenElement(tag, attributes)) continue;
    const openEnd = start + match[0].length;
    let end: number;
    if (voidElements.has(tag) || attributes.trimEnd().endsWith('/')) end = openEnd;
    else {
      // Unclosed: script and style swallow the rest of the document (as CommonMark's raw HTML
      // block does); any other element ends with its paragraph.
      const blankLine = text.slice(openEnd).search(/\n[ \t]*\n/);
      const paragraphEnd = blankLine === -1 ? text.length : openEnd + blankLine;
      end = elementEnd(text, tag, openEnd) ?? (isScript ? text.length : paragraphEnd);
    }
    removals.push({ kind: isScript ? 'script-or-style' : 'hidden-element', start, end });
  }

  // `[//]: # (note)` is Markdown's comment idiom: a link definition nothing uses renders nothing.
  for (const match of text.matchAll(/^ {0,3}\[[^\]\n]+\]:[ \t]*(?:#|<>)(?:[ \t].*)?(?:\n|$)/gm)) {
    if (!covered(match.index)) {
      removals.push({
        kind: 'markdown-comment',
        start: match.index,
        end: match.index + match[0].length,
      });
    }
  }
  return removals;
}

function removeRanges(text: string, removals: Removal[], counts: Counts): string {
  const sorted = [...removals].sort((a, b) => a.start - b.start);
  let result = '';
  let cursor = 0;
  for (const removal of sorted) {
    count(counts, removal.kind);
    if (removal.end <= cursor) continue;
    result += text.slice(cursor, Math.max(cursor, removal.start));
    cursor = Math.max(cursor, removal.end);
  }
  return result + text.slice(cursor);
}

/**
 * Cleans forge text before it reaches a prompt: line endings become `\n`; invisible characters go
 * everywhere (code included, since no reader sees them there either); hidden HTML goes outside
 * code, where it would not render. Visible content, `<details>` bodies included, stays.
 */
export function sanitizeForgeText(text: string): SanitizedForgeText {
  const counts: Counts = new Map();
  const normalised = text.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n');
  const visible = stripCharacters(normalised, counts);
  const cleaned = removeRanges(visible, findHiddenHtml(visible), counts);
  const removed = removalKinds
    .filter((kind) => (counts.get(kind) ?? 0) > 0)
    .map((kind) => ({ kind, count: counts.get(kind) ?? 0 }));
  return { text: cleaned, removed };
}
