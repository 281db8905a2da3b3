import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeCodeBody, codexBody, workDir } from './claude-codex-request-bodies.ts';
import { geminiBody, opencodeChatBody } from './opencode-gemini-request-bodies.ts';
import { readAnthropicFacts } from './anthropic-messages.ts';
import { readChatFacts } from './openai-chat-completions.ts';
import { readGeminiFacts } from './gemini-generate-content.ts';
import { readResponsesFacts } from './openai-responses.ts';
import {
  findWorkingDirectory,
  readTask,
  type OfferedTool,
  type RequestFacts,
} from './request-facts.ts';
import { addFilePatch, mapShell, mapWrite, writeFileCommand } from './tool-call-mapping.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'baton-mapping-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const file = { path: 'docs/hello.txt', content: 'hi from agent' };

function context(facts: RequestFacts) {
  return { tools: facts.tools, cwd: findWorkingDirectory(facts.contextTexts) };
}

const claude = readAnthropicFacts(claudeCodeBody());
const claudeBare = readAnthropicFacts(claudeCodeBody({ bare: true }));
const codex = readResponsesFacts(codexBody());
const codexUnknown = readResponsesFacts(codexBody({ unknownSlug: true }));
const opencode = readChatFacts(opencodeChatBody());
const gemini = readGeminiFacts(geminiBody(), 'gemini-2.5-flash');

const fn = (name: string, properties: Record<string, unknown>): OfferedTool => ({
  name,
  kind: 'function',
  parameters: { type: 'object', properties },
});

describe('tool call mapping', () => {
  it('finds the working directory each CLI states', () => {
    for (const facts of [claude, codex, opencode, gemini]) {
      expect(findWorkingDirectory(facts.contextTexts)).toBe(workDir);
    }
  });

  it('finds the prompt behind the context each CLI adds to the first user turn', () => {
    for (const facts of [claude, codex, opencode]) {
      expect(readTask(facts.promptTexts)).toBe("Create hello.txt containing 'hi from agent'");
    }
    expect(readTask(gemini.promptTexts)).toBe('Create hello.txt');
  });

  it("maps a write onto each CLI's own file tool", () => {
    expect(mapWrite(file, context(claude))).toEqual({
      kind: 'function',
      name: 'Write',
      arguments: { file_path: `${workDir}/docs/hello.txt`, content: 'hi from agent' },
    });
    expect(mapWrite(file, context(claudeBare))).toEqual({
      kind: 'function',
      name: 'Edit',
      arguments: {
        file_path: `${workDir}/docs/hello.txt`,
        old_string: '',
        new_string: 'hi from agent',
      },
    });
    expect(mapWrite(file, context(codex))).toEqual({
      kind: 'custom',
      name: 'apply_patch',
      input: '*** Begin Patch\n*** Add File: docs/hello.txt\n+hi from agent\n*** End Patch\n',
    });
    expect(mapWrite(file, context(opencode))).toEqual({
      kind: 'function',
      name: 'write',
      arguments: { filePath: `${workDir}/docs/hello.txt`, content: 'hi from agent' },
    });
    expect(mapWrite(file, context(gemini))).toEqual({
      kind: 'function',
      name: 'write_file',
      arguments: { file_path: 'docs/hello.txt', content: 'hi from agent' },
    });
  });

  it('writes through the shell when the CLI offers no file tool (Codex with an unknown slug)', () => {
    expect(mapWrite(file, context(codexUnknown))).toEqual({
      kind: 'function',
      name: 'exec_command',
      arguments: {
        cmd: "mkdir -p 'docs' && printf '%s' 'hi from agent' > 'docs/hello.txt'",
      },
    });
  });

  it("maps a shell command onto each CLI's own shell tool", () => {
    const names = [claude, codex, opencode, gemini].map(
      (facts) => mapShell('npm test', context(facts))?.name,
    );
    expect(names).toEqual(['Bash', 'exec_command', 'bash', 'run_shell_command']);
  });

  it('falls back to tools that look like a shell or a writer in unknown tool sets', () => {
    const tools = [
      fn('search', { query: {} }),
      fn('terminal', { script: { type: 'string' } }),
      fn('create_file', { target_file: { type: 'string' }, contents: { type: 'string' } }),
    ];
    expect(mapShell('ls', { tools, cwd: null })).toEqual({
      kind: 'function',
      name: 'terminal',
      arguments: { script: 'ls' },
    });
    expect(mapWrite(file, { tools, cwd: '/x' })).toEqual({
      kind: 'function',
      name: 'create_file',
      arguments: { target_file: 'docs/hello.txt', contents: 'hi from agent' },
    });
    const argvShell = [fn('shell', { command: { type: 'array', items: { type: 'string' } } })];
    expect(mapShell('ls', { tools: argvShell, cwd: null })).toEqual({
      kind: 'function',
      name: 'shell',
      arguments: { command: ['bash', '-lc', 'ls'] },
    });
    expect(mapShell('ls', { tools: [fn('search', { query: {} })], cwd: null })).toBeNull();
    expect(mapWrite(file, { tools: [], cwd: null })).toBeNull();
  });

  it('passes an apply_patch offered as a function tool its patch in the string parameter', () => {
    const tools = [fn('apply_patch', { input: { type: 'string' } })];
    expect(mapWrite({ path: 'a', content: 'x\ny\n' }, { tools, cwd: null })).toEqual({
      kind: 'function',
      name: 'apply_patch',
      arguments: { input: '*** Begin Patch\n*** Add File: a\n+x\n+y\n*** End Patch\n' },
    });
    expect(addFilePatch('b', 'one')).toBe(
      '*** Begin Patch\n*** Add File: b\n+one\n*** End Patch\n',
    );
  });

  it('builds a shell write that keeps quotes, dollars and newlines byte for byte', () => {
    const content = `it's "quoted" $HOME \`tick\`\nline two\n\\n no escape`;
    const target = path.join(scratch, 'nested dir', 'out.txt');
    execFileSync('bash', ['-c', writeFileCommand(target, content)]);
    expect(readFileSync(target, 'utf8')).toBe(content);
  });
});
