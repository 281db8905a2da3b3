import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFlowErrors } from './format-flow-errors.ts';
import { parseFlow, type FlowError } from './parse-flow.ts';
import { parseTimeout } from './parse-timeout.ts';
import { validateFlowFile } from './validate-flow-file.ts';

const fixtures = path.join(import.meta.dirname, '__fixtures__');
const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');

function errorsOf(text: string): FlowError[] {
  const result = parseFlow(text);
  if (result.ok) throw new Error('expected the flow to be rejected');
  return result.errors;
}

describe('parseFlow: GitLab examples', () => {
  const gitLabExamples = readdirSync(fixtures).filter(
    (name) => name.endsWith('.yaml') && !name.startsWith('native-'),
  );

  it.each(gitLabExamples)('accepts %s', (name) => {
    const result = parseFlow(fixture(name), { source: name });
    expect(result).toMatchObject({ ok: true, source: name, flow: { format: 'gitlab' } });
  });

  it('normalises the G2 Claude Code example', () => {
    const result = parseFlow(fixture('claude-code.yaml'));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.flow).toMatchObject({
      format: 'gitlab',
      image: 'node:22-slim',
      variables: ['GITLAB_TOKEN_CLAUDE', 'GITLAB_HOST'],
      injectGatewayToken: true,
      idTokens: {},
    });
    if (result.flow.format !== 'gitlab') throw new Error('wrong form');
    expect(result.flow.commands.at(-1)).toContain('claude --debug');
    expect(result.flow.commands.at(-1)).toContain('Task: $AI_FLOW_INPUT');
  });

  it('defaults injectGatewayToken to false for a G1 file', () => {
    const result = parseFlow(fixture('claude-code-g1.yaml'));
    expect(result).toMatchObject({ ok: true, flow: { injectGatewayToken: false } });
  });

  it('reads G3 id_tokens and report_artifacts', () => {
    const result = parseFlow(`image: alpine
commands: [echo hi]
id_tokens:
  VAULT_ID_TOKEN:
    aud: https://vault.example.com
  AWS_TOKEN:
    aud: [sts.amazonaws.com, other]
report_artifacts:
  junit: report.xml
`);
    expect(result).toMatchObject({
      ok: true,
      flow: {
        idTokens: {
          VAULT_ID_TOKEN: { aud: 'https://vault.example.com' },
          AWS_TOKEN: { aud: ['sts.amazonaws.com', 'other'] },
        },
        reportArtifacts: { junit: 'report.xml' },
      },
    });
  });

  it('lists a variable once even when the file repeats it', () => {
    const result = parseFlow('image: a\ncommands: [x]\nvariables: [A, B, A]\n');
    expect(result).toMatchObject({ ok: true, flow: { variables: ['A', 'B'] } });
  });
});

describe('parseFlow: Baton-native flows', () => {
  it('reads agent options into camelCase fields', () => {
    const result = parseFlow(fixture('native-claude.yaml'));
    expect(result).toEqual({
      ok: true,
      flow: {
        format: 'native',
        agent: 'claude',
        model: 'claude-sonnet-4-5',
        maxTurns: 40,
        allowedTools: ['Bash(git:*)', 'Edit', 'Read'],
        instructions: "Follow the repository's CONTRIBUTING.md. Keep changes small.\n",
        timeoutSeconds: 2700,
        variables: ['NPM_TOKEN'],
      },
    });
  });

  it('accepts a custom agent with its own commands', () => {
    expect(parseFlow(fixture('native-custom.yaml'))).toMatchObject({
      ok: true,
      flow: {
        format: 'native',
        agent: 'custom',
        commands: ['pip install my-agent', expect.any(String)],
      },
    });
  });

  it.each(['claude', 'codex', 'opencode', 'gemini', 'amazon-q'])(
    'accepts agent: %s alone',
    (agent) => {
      expect(parseFlow(`agent: ${agent}\n`)).toMatchObject({
        ok: true,
        flow: { agent, variables: [] },
      });
    },
  );
});

describe('parseFlow: rejected input names the problem and its line', () => {
  it.each([
    [
      'commands as a string',
      'image: a\ncommands: echo hi\n',
      '/commands',
      'value at `/commands` is not an array',
      2,
      11,
    ],
    [
      'an empty commands list',
      'image: a\ncommands: []\n',
      '/commands',
      'value at `/commands` is empty; list at least one shell command',
      2,
      11,
    ],
    [
      'a commands key with no value',
      'image: a\ncommands:\n',
      '/commands',
      'value at `/commands` is not an array (the key has no value)',
      2,
      10,
    ],
    [
      'a number as a command',
      'image: a\ncommands:\n  - echo\n  - 42\n',
      '/commands/1',
      'value at `/commands/1` is not a string (put it in quotes',
      4,
      5,
    ],
    [
      'a command YAML read as a mapping',
      'image: a\ncommands:\n  - echo note: read this\n',
      '/commands/0',
      'contains `: `; put the whole line in quotes',
      3,
      5,
    ],
    [
      'a blank command',
      'image: a\ncommands:\n  - "   "\n',
      '/commands/0',
      'value at `/commands/0` is an empty command',
      3,
      5,
    ],
    [
      'a missing image',
      'commands: [x]\n',
      '',
      'object at root is missing required properties: image',
      1,
      1,
    ],
    ['an empty image', 'image: ""\ncommands: [x]\n', '/image', 'value at `/image` is empty', 1, 8],
    [
      'an image with spaces',
      'image: node 22\ncommands: [x]\n',
      '/image',
      'contains whitespace',
      1,
      8,
    ],
    [
      'a non-string image',
      'image: [node]\ncommands: [x]\n',
      '/image',
      'value at `/image` is not a string',
      1,
      8,
    ],
    [
      'injectGatewayToken: yes',
      'image: a\ncommands: [x]\ninjectGatewayToken: yes\n',
      '/injectGatewayToken',
      'value at `/injectGatewayToken` is not a boolean (write true or false',
      3,
      21,
    ],
    [
      'an invalid variable name',
      'image: a\ncommands: [x]\nvariables:\n  - OK\n  - MY-TOKEN\n',
      '/variables/1',
      'is not a valid environment variable name',
      5,
      5,
    ],
    [
      'a variable shadowing a run variable',
      'image: a\ncommands: [x]\nvariables: [AI_FLOW_CONTEXT]\n',
      '/variables/0',
      'is a name Baton sets for every run',
      3,
      13,
    ],
    [
      'an unknown top-level key',
      'image: a\ncommands: [x]\nscript: [y]\n',
      '/script',
      'object property at `/script` is a disallowed additional property',
      3,
      1,
    ],
    [
      'a misspelt key',
      'image: a\ncommands: [x]\ninject_gateway_token: true\n',
      '/inject_gateway_token',
      '(did you mean `injectGatewayToken`?)',
      3,
      1,
    ],
    [
      'a native option without agent',
      'image: a\ncommands: [x]\nmodel: gpt-5\n',
      '/model',
      '`model` belongs to a Baton-native flow',
      3,
      1,
    ],
    [
      'an id_tokens name that is not an env name',
      'image: a\ncommands: [x]\nid_tokens:\n  my-token: {aud: x}\n',
      '/id_tokens/my-token',
      'name at `/id_tokens/my-token` is not a valid environment variable name',
      4,
      3,
    ],
    [
      'an empty aud',
      'image: a\ncommands: [x]\nid_tokens:\n  T:\n    aud: []\n',
      '/id_tokens/T/aud',
      'is not a non-empty string or a non-empty array',
      5,
      10,
    ],
    [
      'an unknown agent',
      'agent: copilot\n',
      '/agent',
      'is not a known agent; use one of claude, codex',
      1,
      8,
    ],
    [
      'a timeout too long',
      'agent: claude\ntimeout: 3h\n',
      '/timeout',
      'value at `/timeout` is out of range (10800 s)',
      2,
      10,
    ],
    [
      'a timeout too short',
      'agent: claude\ntimeout: 5\n',
      '/timeout',
      'is out of range (5 s)',
      2,
      10,
    ],
    [
      'a timeout that is not a duration',
      'agent: claude\ntimeout: soon\n',
      '/timeout',
      'is not a duration',
      2,
      10,
    ],
    [
      'max_turns of zero',
      'agent: codex\nmax_turns: 0\n',
      '/max_turns',
      'must be at least 1',
      2,
      12,
    ],
    [
      'a fractional max_turns',
      'agent: codex\nmax_turns: 2.5\n',
      '/max_turns',
      'is not an integer',
      2,
      12,
    ],
    [
      'commands for a built-in agent',
      'agent: claude\ncommands: [x]\n',
      '/commands',
      'is only allowed with `agent: custom`',
      2,
      1,
    ],
    [
      'injectGatewayToken in a native flow',
      'agent: claude\ninjectGatewayToken: true\n',
      '/injectGatewayToken',
      "always reach models through Baton's gateway",
      2,
      1,
    ],
    [
      'a custom agent with no commands',
      'agent: custom\n',
      '',
      'missing required properties: commands',
      1,
      1,
    ],
    [
      'an empty allowed tool',
      'agent: claude\nallowed_tools: ["Read", ""]\n',
      '/allowed_tools/1',
      'is an empty tool name',
      2,
      25,
    ],
  ])('%s', (_name, text, pointer, message, line, column) => {
    const error = errorsOf(text).find((candidate) => candidate.path === pointer);
    expect(error?.message).toContain(message);
    expect(error).toMatchObject({ line, column });
  });

  it('reports every problem in one pass, in source order', () => {
    const errors = errorsOf('image: 5\ncommands: [1]\nvariables: [1X]\nfoo: bar\n');
    expect(errors.map((error) => error.line)).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['a YAML syntax error', 'image: a\ncommands: [x\n', 'YAML syntax error', 3, 1],
    [
      'a duplicate key',
      'image: a\nimage: b\ncommands: [x]\n',
      'YAML syntax error: Map keys must be unique',
      2,
      1,
    ],
    [
      'a Ruby object tag',
      'image: !ruby/object:Foo a\ncommands: [x]\n',
      'YAML tags are not allowed',
      1,
      8,
    ],
    ['an empty file', '', 'invalid or missing flow definition: the file is empty', 1, 1],
    [
      'a list at the root',
      '- image: a\n',
      'invalid or missing flow definition: the file holds a list',
      1,
      1,
    ],
  ])('%s', (_name, text, message, line, column) => {
    const [first] = errorsOf(text);
    expect(first?.message).toContain(message);
    expect(first).toMatchObject({ line, column });
  });

  it('refuses a file over GitLab’s 64 KiB catalog limit', () => {
    const text = `image: a\ncommands:\n${'  - echo padding padding padding\n'.repeat(3000)}`;
    expect(errorsOf(text)[0]?.message).toMatch(/bytes; the limit is 65536 bytes/);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 12; i++) {
      const previous = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(
        `${next}: &${next} [*${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}]`,
      );
    }
    expect(errorsOf(lines.join('\n'))[0]?.message).toMatch(/invalid or missing flow definition/);
  });
});

describe('parseTimeout', () => {
  it.each([
    [600, 600],
    ['600', 600],
    ['90s', 90],
    ['30m', 1800],
    ['1h 30m', 5400],
    ['2 hours', 7200],
    ['1h30m10s', 5410],
  ])('reads %j as %i seconds', (input, seconds) => {
    expect(parseTimeout(input)).toBe(seconds);
  });

  it.each([1.5, '1 fortnight', 'h', '', true, null])('refuses %j', (input) => {
    expect(parseTimeout(input)).toBeUndefined();
  });
});

describe('formatFlowErrors and validateFlowFile', () => {
  it('prints file:line:column, the offending line and a caret', () => {
    const text = 'image: a\ncommands:\n  - 42\n';
    const output = formatFlowErrors(errorsOf(text), 'claude.yaml', text);
    expect(output).toBe(
      [
        'claude.yaml:3:5: value at `/commands/0` is not a string (put it in quotes to make it a string)',
        '  3 |   - 42',
        '    |     ^',
        'claude.yaml: 1 error',
      ].join('\n'),
    );
  });

  it('validates a fixture file and summarises it', async () => {
    const result = await validateFlowFile(path.join(fixtures, 'codex.yaml'));
    expect(result.ok).toBe(true);
    expect(result.report).toMatch(
      /codex\.yaml: valid GitLab-format flow \(image node:22-slim, \d+ commands, injectGatewayToken\)$/,
    );
  });

  it('reports a bad file with positions', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'baton-flow-'));
    const file = path.join(directory, 'bad.yaml');
    writeFileSync(file, 'image: a\ncommands: echo\n');
    const result = await validateFlowFile(file);
    expect(result.ok).toBe(false);
    expect(result.report).toContain(`${file}:2:11: value at \`/commands\` is not an array`);
  });

  it('reports a missing file instead of throwing', async () => {
    const result = await validateFlowFile('/nonexistent/flow.yaml');
    expect(result).toMatchObject({ ok: false, errors: [{ path: '', message: 'file not found' }] });
  });
});
