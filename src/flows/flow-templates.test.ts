import { describe, expect, it } from 'vitest';
import { flowTemplate, flowTemplates } from './flow-templates.ts';
import { parseFlow } from './parse-flow.ts';

describe('flow templates', () => {
  it("covers GitLab's five tested integrations", () => {
    expect(flowTemplates.map((t) => t.name)).toEqual([
      'claude-code',
      'codex',
      'opencode',
      'gemini-cli',
      'amazon-q',
    ]);
  });

  it.each(flowTemplates.map((t) => [t.name, t] as const))('%s is a valid native flow', (_, t) => {
    const result = parseFlow(t.yaml, { source: t.name });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.flow.format).toBe('native');
  });

  it('names the agent each template runs', () => {
    const agents = flowTemplates.map((t) => {
      const result = parseFlow(t.yaml);
      return result.ok && result.flow.format === 'native' ? result.flow.agent : null;
    });
    expect(agents).toEqual(['claude', 'codex', 'opencode', 'gemini', 'amazon-q']);
  });

  it('finds a template by name, and nothing for an unknown one', () => {
    expect(flowTemplate('codex')?.yaml).toContain('agent: codex');
    expect(flowTemplate('cursor')).toBeUndefined();
  });

  it("accepts the profiles' own names as aliases", () => {
    const result = parseFlow('agent: claude-code\n');
    expect(result).toMatchObject({ ok: true, flow: { agent: 'claude' } });
    expect(parseFlow('agent: gemini-cli\n')).toMatchObject({ ok: true, flow: { agent: 'gemini' } });
  });
});
