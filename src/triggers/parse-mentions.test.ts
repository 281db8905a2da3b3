import { describe, expect, it } from 'vitest';
import { findMarkdownRegions, parseMentions } from './parse-mentions.ts';

const accounts = ['claude', 'Codex', 'claude-agent', 'ai-gemini-acme'];
const mentioned = (text: string): string[] => parseMentions(text, accounts).mentions;

describe('parseMentions finds mentions a reader sees', () => {
  it.each([
    ['at the start', '@claude please fix the build', ['claude']],
    ['at the end', 'please fix the build @claude', ['claude']],
    ['alone', '@claude', ['claude']],
    ['followed by a comma', 'hey @claude, look', ['claude']],
    ['followed by a full stop', 'thanks @claude.', ['claude']],
    ['followed by several dots', 'well @claude...', ['claude']],
    [
      'followed by ! ? : ) ]',
      '(@claude) [@codex]! @claude-agent: go?',
      ['claude', 'Codex', 'claude-agent'],
    ],
    ['with a possessive', "use @claude-agent's idea", ['claude-agent']],
    ['in any letter case', '@CLAUDE and @codex', ['claude', 'Codex']],
    ['with dots and dashes in the name', 'ask @ai-gemini-acme now', ['ai-gemini-acme']],
    ['after punctuation', 'done;@claude', ['claude']],
    ['in a list item', '- @claude do this\n- and that', ['claude']],
    ['in a heading', '# @claude', ['claude']],
    ['with CRLF line endings', 'first\r\n@codex second', ['Codex']],
    [
      'once each, in order of first appearance',
      '@codex @claude @codex @CLAUDE',
      ['Codex', 'claude'],
    ],
    ['only for known accounts', '@someone @claude @root', ['claude']],
  ])('%s', (_name, text, expected) => {
    expect(mentioned(text)).toEqual(expected);
  });

  it('accepts account names written with a leading @', () => {
    expect(parseMentions('hi @claude', ['@claude']).mentions).toEqual(['claude']);
  });
});

describe('parseMentions ignores what is not a mention', () => {
  it.each([
    ['an e-mail address', 'write to me@claude.com or a@codex'],
    ['a longer username', '@claude-agent2 and @claudex'],
    ['a username with a domain-like tail', '@claude.com'],
    ['a namespace path', 'see @claude/project'],
    ['a URL', 'https://medium.com/@claude and http://x.test/a@codex'],
    ['an inline code span', 'run `@claude fix` yourself'],
    ['a double-backtick span with a backtick inside', '``a ` @claude ``'],
    ['a fenced code block', '```\n@claude\n```'],
    ['a fenced block with an info string', '```markdown\n@claude\n```'],
    ['a tilde fence', '~~~\n@claude\n~~~'],
    ['a longer tilde fence closed only by a long enough fence', '~~~~\n~~~\n@claude\n~~~~'],
    ['an unclosed fence (runs to the end)', 'see:\n```\n@claude never closed'],
    ['an indented code block', 'intro\n\n    @claude code\n'],
    ['a tab-indented code block', 'intro\n\n\t@claude code\n'],
    ['a quoted reply', '> @claude do it'],
    ['a nested quote', '> > @claude do it'],
    ['a lazy continuation of a quote', '> quoted text\n@claude still quoted'],
    ['a GitLab multi-line quote', '>>>\nearlier:\n@claude do it\n>>>'],
    ['an HTML comment', '<!-- @claude -->'],
    ['a multi-line HTML comment', 'text <!--\n@claude\n--> more'],
    ['an unclosed HTML comment', 'text <!-- @claude'],
    ['a mention broken by a zero-width space', '@\u200bclaude'],
  ])('%s', (_name, text) => {
    expect(mentioned(text)).toEqual([]);
  });

  it('finds a mention right after a code block, quote or comment ends', () => {
    expect(mentioned('```\n@claude\n```\n@codex')).toEqual(['Codex']);
    expect(mentioned('~~~~\n@claude\n~~~\n```\n~~~~\nafter @codex')).toEqual(['Codex']);
    expect(mentioned('> @claude\n\n@codex')).toEqual(['Codex']);
    expect(mentioned('>>>\n@claude\n>>>\n@codex')).toEqual(['Codex']);
    expect(mentioned('<!-- @claude -->@codex')).toEqual(['Codex']);
    expect(mentioned('`x` @codex `y`')).toEqual(['Codex']);
  });

  it('treats a lone backtick as text, not an unclosed span', () => {
    expect(mentioned('a ` stray backtick then @claude')).toEqual(['claude']);
  });

  it('treats indented text inside a list item as the item, not code', () => {
    expect(mentioned('- item\n\n    @claude continue')).toEqual(['claude']);
  });
});

describe('parseMentions: the stop command', () => {
  it.each([
    ['@claude stop', ['claude']],
    ['@CLAUDE Stop.', ['claude']],
    ['  @claude stop!  ', ['claude']],
    ['wrong direction\n@codex stop\nthanks', ['Codex']],
    ['@claude stop\n@codex stop', ['claude', 'Codex']],
  ])('%j stops', (text, stops) => {
    expect(parseMentions(text, accounts)).toEqual({ mentions: [], stops });
  });

  it.each([
    ['an instruction that starts with stop', '@claude stop using var'],
    ['stop in the middle of a sentence', 'please @claude stop'],
    ['a quoted stop', '> @claude stop'],
    ['a stop in code', '`@claude stop`'],
  ])('is not %s', (_name, text) => {
    expect(parseMentions(text, accounts).stops).toEqual([]);
  });

  it('returns an account both stopped and given new work in both lists', () => {
    expect(parseMentions('@claude stop\n@claude do it differently', accounts)).toEqual({
      mentions: ['claude'],
      stops: ['claude'],
    });
  });
});

describe('findMarkdownRegions', () => {
  it('reports code, quote and comment ranges by offset', () => {
    const text = 'a `b` c\n> q\n<!-- x -->';
    const regions = findMarkdownRegions(text).map((region) => [
      region.kind,
      text.slice(region.start, region.end),
    ]);
    expect(regions).toEqual([
      ['code', '`b`'],
      ['quote', '> q\n'],
      ['comment', '<!-- x -->'],
    ]);
  });
});
