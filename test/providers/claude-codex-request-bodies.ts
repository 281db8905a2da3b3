/**
 * Request bodies shaped like the ones Claude Code and Codex each sends, as recorded in
 * /work/shared/research/agent-cli-claude-codex.md (Claude Code 2.1.331, Codex 0.169.0), trimmed to what matters to a provider: tools with
 * their schemas, where the working directory and the prompt sit, and how tool calls and results
 * come back in the history.
 */
import { objectSchema, str, workDir } from './request-body-helpers.ts';

export { workDir } from './request-body-helpers.ts';

// ---- Claude Code: Anthropic Messages -------------------------------------------------------

const claudeTools: Record<string, unknown> = {
  Agent: objectSchema(
    { description: str('A short description'), prompt: str('The task'), subagent_type: str('') },
    ['description', 'prompt'],
  ),
  Bash: objectSchema(
    {
      command: str('The command to execute'),
      timeout: { type: 'number', description: 'Optional timeout in milliseconds' },
      description: str('Clear, concise description of what this command does in 5-10 words'),
      run_in_background: { type: 'boolean' },
    },
    ['command'],
  ),
  Edit: objectSchema(
    {
      file_path: str('The absolute path to the file to modify'),
      old_string: str('The text to replace'),
      new_string: str('The text to replace it with'),
      replace_all: { type: 'boolean', default: false },
    },
    ['file_path', 'old_string', 'new_string'],
  ),
  Read: objectSchema(
    { file_path: str('The absolute path to the file to read'), offset: { type: 'number' } },
    ['file_path'],
  ),
  ToolSearch: objectSchema({ query: str('What to look for') }, ['query']),
  Write: objectSchema(
    {
      file_path: str('The absolute path to the file to write (must be absolute, not relative)'),
      content: str('The content to write to the file'),
    },
    ['file_path', 'content'],
  ),
};

export interface ClaudeBodyOptions {
  prompt?: string;
  toolResults?: number;
  /** `--bare`: Bash, Edit and Read only. */
  bare?: boolean;
  stream?: boolean;
}

export function claudeCodeBody(options: ClaudeBodyOptions = {}) {
  const names = options.bare === true ? ['Bash', 'Edit', 'Read'] : Object.keys(claudeTools);
  const history = Array.from({ length: options.toolResults ?? 0 }, (_, index) => [
    {
      role: 'assistant',
      content: [
        {
          type: 'tool_use',
          id: `toolu_${index}`,
          name: 'Write',
          input: { file_path: `${workDir}/hello.txt`, content: 'hi from agent' },
        },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: `toolu_${index}`,
          content: `File created successfully at: ${workDir}/hello.txt`,
        },
      ],
    },
  ]).flat();
  return {
    model: 'claude-opus-5-5',
    max_tokens: 32000,
    stream: options.stream ?? true,
    system: [
      {
        type: 'text',
        text: 'x-anthropic-billing-header: cc_version=2.1.331; cc_entrypoint=sdk-cli',
      },
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
    ],
    messages: [
      {
        role: 'system',
        content: `<env>\nPrimary working directory: ${workDir}\nIs directory a git repo: Yes\n</env>`,
      },
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>\nThis is a reminder.\n</system-reminder>' },
          { type: 'text', text: options.prompt ?? "Create hello.txt containing 'hi from agent'" },
        ],
      },
      ...history,
    ],
    tools: names.map((name) => ({
      name,
      description: `${name} tool`,
      input_schema: claudeTools[name],
    })),
    metadata: { user_id: '{"device_id":"d","session_id":"s"}' },
    thinking: { type: 'adaptive' },
  };
}

// ---- Codex: OpenAI Responses ----------------------------------------------------------------

export interface CodexBodyOptions {
  prompt?: string;
  toolResults?: number;
  /** A model slug Codex does not know: no apply_patch tool. */
  unknownSlug?: boolean;
  stream?: boolean;
}

export function codexBody(options: CodexBodyOptions = {}) {
  const execCommand = {
    type: 'function',
    name: 'exec_command',
    description:
      'Runs a command in a PTY, returning output or a session ID for ongoing interaction.',
    strict: false,
    parameters: objectSchema(
      {
        cmd: str('Shell command to execute.'),
        workdir: str('Optional working directory'),
        yield_time_ms: { type: 'number' },
      },
      ['cmd'],
    ),
  };
  const applyPatch = {
    type: 'custom',
    name: 'apply_patch',
    description: 'Use the `apply_patch` tool to edit files. This is a FREEFORM tool.',
    format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch hunk+ end_patch' },
  };
  const writeStdin = {
    type: 'function',
    name: 'write_stdin',
    description: 'Writes characters to an existing unified exec session.',
    strict: false,
    parameters: objectSchema({ session_id: { type: 'number' }, chars: str('') }, ['session_id']),
  };
  const tools =
    options.unknownSlug === true
      ? [
          execCommand,
          writeStdin,
          { type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents', tools: [] },
          { type: 'web_search' },
        ]
      : [execCommand, writeStdin, applyPatch, { type: 'web_search' }];
  const history = Array.from({ length: options.toolResults ?? 0 }, (_, index) =>
    options.unknownSlug === true
      ? [
          {
            type: 'function_call',
            name: 'exec_command',
            arguments: '{"cmd":"printf hi > hello.txt"}',
            call_id: `call_${index}`,
          },
          {
            type: 'function_call_output',
            call_id: `call_${index}`,
            output: 'Chunk ID: 1\nProcess exited with code 0\n',
          },
        ]
      : [
          {
            type: 'custom_tool_call',
            status: 'completed',
            call_id: `call_${index}`,
            name: 'apply_patch',
            input: '*** Begin Patch\n*** Add File: hello.txt\n+hi from agent\n*** End Patch\n',
          },
          {
            type: 'custom_tool_call_output',
            call_id: `call_${index}`,
            output: 'Exit code: 0\nSuccess. Updated the following files:\nA hello.txt\n',
          },
        ],
  ).flat();
  const message = (role: string, text: string) => ({
    type: 'message',
    role,
    content: [{ type: 'input_text', text }],
  });
  return {
    model: options.unknownSlug === true ? 'gpt-fake' : 'gpt-5.5',
    instructions: 'You are Codex, a coding agent based on GPT-5.',
    input: [
      message('developer', '<permissions instructions>workspace-write</permissions instructions>'),
      message(
        'user',
        `# AGENTS.md instructions for ${workDir}\n\n<INSTRUCTIONS>\nBe brief.\n</INSTRUCTIONS>`,
      ),
      message(
        'user',
        `<environment_context>\n  <cwd>${workDir}</cwd>\n  <shell>bash</shell>\n</environment_context>`,
      ),
      message('user', options.prompt ?? "Create hello.txt containing 'hi from agent'"),
      ...history,
    ],
    tools,
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: options.stream ?? true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '01a211da-bbd0-7f51-948e-ca6907590ed8',
  };
}
