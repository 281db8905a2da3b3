/**
 * The agent port's contract, checked against every profile the registry knows: what any
 * executor may rely on, whichever CLI a flow names.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  parseLines,
  readFixtureLines,
  sampleLaunchInput,
  secretsAroundRun,
} from '../../test/helpers/agent-tools.ts';
import { agentNames, type AgentName } from '../flows/flow-definition.ts';
import type { AgentEvent, AgentLaunch, AgentLaunchInput, AgentProfile } from './agent-profile.ts';
import { agentProfile, allAgentProfiles } from './agent-profiles.ts';
import { maxSummaryLength } from './tool-call-summary.ts';

const folders: Record<AgentName, string> = {
  claude: 'claude-code',
  codex: 'codex',
  opencode: 'opencode',
  gemini: 'gemini',
  'amazon-q': 'amazon-q',
  custom: 'custom',
};

const awsVariables = {
  AWS_ACCESS_KEY_ID: 'AKIACONTRACT',
  AWS_SECRET_ACCESS_KEY: 'aws-contract-secret',
  AWS_REGION_NAME: 'us-east-1',
};

/** A launch input this profile can start from (its tool, its commands, its AWS keys). */
function inputFor(
  profile: AgentProfile,
  overrides: Partial<AgentLaunchInput> = {},
): AgentLaunchInput {
  return sampleLaunchInput({
    toolSpec: profile.tool,
    ...(profile.name === 'custom' ? { commands: ['echo "$AI_FLOW_INPUT"'] } : {}),
    ...(profile.name === 'amazon-q' ? { variables: { ...secretsAroundRun, ...awsVariables } } : {}),
    ...overrides,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Every string of a launch: argv, env names and values, file names and contents. */
function launchStrings(launch: AgentLaunch): string[] {
  return [
    ...launch.command,
    ...Object.entries(launch.env).flat(),
    ...Object.entries(launch.files).flat(),
  ];
}

const garbage = [
  '',
  '   ',
  'plain text output',
  '\u0000\u0001\u00ff binary',
  '{',
  '{"type":',
  '[]',
  '[{"type":"result"}]',
  '42',
  'null',
  'true',
  '"a string"',
  '{}',
  '{"type":null}',
  '{"type":42}',
  '{"type":"result","subtype":7,"is_error":"yes","usage":"lots"}',
  '{"type":"item.completed","item":null}',
  '{"type":"tool_use","part":null,"tool_name":null}',
  '{"type":"message","role":"assistant","content":{"nested":true}}',
  '{"type":"assistant","message":{"content":[null,1,"x",{"type":"tool_use","id":1}]}}',
  `{"type":"text","part":{"text":"${'x'.repeat(10_000)}"`,
  JSON.stringify({ type: 'unknown-event', deeply: { nested: [1, { a: [] }] } }),
];

describe.each(agentNames.map((name) => [name, agentProfile(name)] as const))(
  'agent profile contract: %s',
  (name, profile) => {
    it('is registered under its own name, with a display name and a git identity', () => {
      expect(profile.name).toBe(name);
      expect(profile.displayName.trim()).not.toBe('');
      expect(profile.gitIdentity.name.trim()).not.toBe('');
      expect(profile.gitIdentity.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
    });

    it('pins its npm tool to an exact version with a bin under node_modules/.bin, or has none', () => {
      if (profile.tool === null) {
        expect(['amazon-q', 'custom']).toContain(name);
        return;
      }
      expect(profile.tool.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(profile.tool.bin).toMatch(/^node_modules\/\.bin\/[a-z-]+$/);
      expect(profile.provider).not.toBeNull();
      expect(profile.defaultModel).not.toBe('');
    });

    it('builds a launch of plain strings: argv, env names, relative file paths', () => {
      const launch = profile.launch(inputFor(profile));
      expect(launch.command.length).toBeGreaterThan(0);
      for (const value of launchStrings(launch)) expect(value).not.toContain('\u0000');
      for (const key of Object.keys(launch.env)) expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      for (const file of Object.keys(launch.files)) {
        expect(file.startsWith('/')).toBe(false);
        expect(file.split('/')).not.toContain('..');
        expect(file.split('/')).not.toContain('');
      }
    });

    it('never hands the agent a forge token or a provider key from around the run', () => {
      const launch = profile.launch(inputFor(profile));
      const everything = launchStrings(launch).join('\n');
      for (const secret of Object.values(secretsAroundRun))
        expect(everything).not.toContain(secret);
    });

    it('keeps the gateway token out of argv (other users can read a process command line)', () => {
      const launch = profile.launch(inputFor(profile));
      expect(launch.command.join('\n')).not.toContain('baton-run-token-42');
      if (profile.provider !== null || name === 'custom') {
        expect(Object.values(launch.env).join('\n')).toContain('baton-run-token-42');
        expect(launch.env['NO_PROXY']).toContain('127.0.0.1');
      }
    });

    it('passes the prompt verbatim, however it starts and whatever it holds', () => {
      if (name === 'custom') return; // the commands build their own prompt from AI_FLOW_*
      const prompt = `-- --help "quoted" 'single' $HOME \`id\` \\ back\nsecond line ✓`;
      const launch = profile.launch(inputFor(profile, { prompt }));
      const places = [...launch.command, ...Object.values(launch.files)];
      expect(places.some((value) => value === prompt || value === `--prompt=${prompt}`)).toBe(true);
    });

    it("uses the flow's model when it names one", () => {
      const launch = profile.launch(inputFor(profile, { model: 'model-named-by-flow' }));
      expect(launchStrings(launch).join('\n')).toContain('model-named-by-flow');
    });

    it('is pure: the same input gives the same launch, and the input is not touched', () => {
      const input = deepFreeze(inputFor(profile, { maxTurns: 5, allowedTools: ['Bash(git:*)'] }));
      expect(profile.launch(input)).toEqual(profile.launch(input));
    });

    it('parser: ends with exactly one final event, an error when the CLI failed', () => {
      const success = profile.parser().end(0);
      expect(success.filter((event) => event.type === 'final')).toHaveLength(1);
      expect(success.at(-1)?.type).toBe('final');
      for (const exitCode of [1, 137, null]) {
        const failed = profile.parser().end(exitCode);
        expect(failed.at(-1)).toMatchObject({ type: 'final', isError: true });
      }
      const parser = profile.parser();
      parser.end(0);
      expect(parser.end(0)).toEqual([]);
    });

    it('parser: ignores lines it does not understand and never throws', () => {
      const parser = profile.parser();
      if (profile.tool !== null) {
        for (const line of garbage) expect(parser.line(line), line).toEqual([]);
      } else {
        for (const line of garbage) expect(() => parser.line(line)).not.toThrow();
      }
      expect(() => parser.end(0)).not.toThrow();
    });

    it('parser: each call gives a fresh parser', () => {
      const first = profile.parser();
      first.line('{"type":"result","subtype":"success","is_error":false,"result":"one"}');
      first.line('{"type":"text","part":{"text":"one"}}');
      first.line('one');
      const second = profile.parser();
      expect(second).not.toBe(first);
      const final = second.end(1).at(-1);
      expect(final).toMatchObject({ type: 'final', isError: true });
      expect(final?.type === 'final' && final.text).not.toBe('one');
    });

    it('parser: every fixture yields short single-line summaries and one final event', async () => {
      const dir = new URL(`./${folders[name]}/__fixtures__/`, import.meta.url);
      const files = (await readdir(dir).catch(() => [])).filter((file) => file.endsWith('.jsonl'));
      if (profile.tool !== null) expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const events: AgentEvent[] = parseLines(
          profile.parser(),
          await readFixtureLines(new URL(file, dir)),
          0,
        );
        expect(
          events.filter((event) => event.type === 'final'),
          file,
        ).toHaveLength(1);
        for (const event of events) {
          if (event.type !== 'tool_call') continue;
          expect(Array.from(event.summary).length, file).toBeLessThanOrEqual(maxSummaryLength);
          expect(event.summary, file).not.toContain('\n');
        }
      }
    });
  },
);

describe('agent profile registry', () => {
  it('has one profile per agent name a flow can use', () => {
    expect(allAgentProfiles().map((profile) => profile.name)).toEqual([...agentNames]);
  });
});
