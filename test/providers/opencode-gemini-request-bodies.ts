/**
 * Request bodies shaped like the ones opencode and Gemini CLI each sends, as recorded in
 * /work/shared/research/agent-cli-opencode-gemini.md (opencode 1.18.33, Gemini CLI 0.61.0), trimmed to what matters to a provider: tools with
 * their schemas, where the working directory and the prompt sit, and how tool calls and results
 * come back in the history.
 */
import { objectSchema, str, workDir } from './request-body-helpers.ts';

export { workDir } from './request-body-helpers.ts';

// ---- opencode: OpenAI chat completions (and its Anthropic variant) -------------------------

const opencodeSchemas: Record<string, unknown> = {
  bash: objectSchema(
    {
      command: str('The command to execute'),
      timeout: { type: 'number' },
      description: str('Clear, concise description of what this command does in 5-10 words.'),
    },
    ['command', 'description'],
  ),
  edit: objectSchema(
    {
      filePath: str('The absolute path to the file to modify'),
      oldString: str(''),
      newString: str(''),
    },
    ['filePath', 'oldString', 'newString'],
  ),
  glob: objectSchema({ pattern: str('The glob pattern') }, ['pattern']),
  grep: objectSchema({ pattern: str('The regex pattern') }, ['pattern']),
  read: objectSchema({ filePath: str('The absolute path to the file to read') }, ['filePath']),
  skill: objectSchema({ name: str('') }, ['name']),
  task: objectSchema({ description: str(''), prompt: str('') }, ['description', 'prompt']),
  todowrite: objectSchema({ todos: { type: 'array', items: {} } }, ['todos']),
  webfetch: objectSchema({ url: str('') }, ['url']),
  write: objectSchema(
    {
      content: str('The content to write to the file'),
      filePath: str('The absolute path to the file to write (must be absolute, not relative)'),
    },
    ['content', 'filePath'],
  ),
};

export const opencodeSystemPrompt = `You are opencode, an interactive CLI tool.\n<env>\n  Working directory: ${workDir}\n  Is directory a git repo: yes\n</env>`;

export interface OpencodeBodyOptions {
  prompt?: string;
  toolResults?: number;
  /** The title request: small model, no tools. */
  title?: boolean;
  stream?: boolean;
  includeUsage?: boolean;
}

export function opencodeChatBody(options: OpencodeBodyOptions = {}) {
  const prompt = options.prompt ?? "Create hello.txt containing 'hi from agent'";
  const common = {
    model: 'fake-model',
    max_tokens: 32000,
    stream: options.stream ?? true,
    ...(options.includeUsage === false ? {} : { stream_options: { include_usage: true } }),
  };
  if (options.title === true) {
    return {
      ...common,
      messages: [
        { role: 'system', content: 'You are a title generator. You output ONLY a thread title.' },
        { role: 'user', content: prompt },
      ],
    };
  }
  const history = Array.from({ length: options.toolResults ?? 0 }, (_, index) => [
    {
      role: 'assistant',
      content: '',
      tool_calls: [
        {
          id: `call_${index}`,
          type: 'function',
          function: { name: 'write', arguments: '{"filePath":"hello.txt","content":"hi"}' },
        },
      ],
    },
    { role: 'tool', tool_call_id: `call_${index}`, content: 'Wrote file successfully.' },
  ]).flat();
  return {
    ...common,
    messages: [
      { role: 'system', content: opencodeSystemPrompt },
      { role: 'user', content: prompt },
      ...history,
    ],
    tools: Object.entries(opencodeSchemas).map(([name, parameters]) => ({
      type: 'function',
      function: { name, description: `${name} tool`, parameters },
    })),
    tool_choice: 'auto',
  };
}

export function opencodeAnthropicBody(options: { toolResults?: number } = {}) {
  const history = Array.from({ length: options.toolResults ?? 0 }, (_, index) => [
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: `toolu_${index}`, name: 'write', input: {} }],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: `toolu_${index}`, content: 'Wrote file successfully.' },
      ],
    },
  ]).flat();
  return {
    model: 'claude-fake',
    max_tokens: 32000,
    stream: true,
    system: [{ type: 'text', text: opencodeSystemPrompt }],
    messages: [
      {
        role: 'user',
        content: [{ type: 'text', text: "Create hello.txt containing 'hi from agent'" }],
      },
      ...history,
    ],
    tools: Object.entries(opencodeSchemas).map(([name, input_schema]) => ({
      name,
      description: `${name} tool`,
      input_schema,
    })),
  };
}

// ---- Gemini CLI: Gemini v1beta ----------------------------------------------------------------

const geminiDeclarations: Record<string, unknown> = {
  list_directory: objectSchema({ dir_path: str('') }, ['dir_path']),
  read_file: objectSchema({ file_path: str('') }, ['file_path']),
  replace: objectSchema({ file_path: str(''), old_string: str(''), new_string: str('') }, [
    'file_path',
    'old_string',
    'new_string',
  ]),
  write_file: objectSchema(
    { file_path: str('The path to the file to write to.'), content: str('The content to write.') },
    ['file_path', 'content'],
  ),
  run_shell_command: objectSchema(
    {
      command: str('Exact bash command to execute as `bash -c <command>`'),
      description: str('Brief description of the command for the user.'),
      dir_path: str('Optional: the directory to run the command in'),
    },
    ['command'],
  ),
  google_web_search: objectSchema({ query: str('') }, ['query']),
};

export interface GeminiBodyOptions {
  prompt?: string;
  toolResults?: number;
  /** `--approval-mode default`: no write_file, replace or run_shell_command. */
  readOnly?: boolean;
}

export function geminiBody(options: GeminiBodyOptions = {}) {
  const hidden = options.readOnly === true ? ['write_file', 'replace', 'run_shell_command'] : [];
  const history = Array.from({ length: options.toolResults ?? 0 }, (_, index) => [
    {
      role: 'model',
      parts: [
        {
          functionCall: {
            id: `write_file_${index}`,
            name: 'write_file',
            args: { file_path: 'hello.txt', content: 'hi from agent' },
          },
          thoughtSignature: 'skip_thought_signature_validator',
        },
      ],
    },
    {
      role: 'user',
      parts: [
        {
          functionResponse: {
            id: `write_file_${index}`,
            name: 'write_file',
            response: {
              output: `Successfully created and wrote to new file: ${workDir}/hello.txt.`,
            },
          },
        },
      ],
    },
  ]).flat();
  return {
    contents: [
      {
        role: 'user',
        parts: [
          {
            text: `<session_context>\nThis is the Gemini CLI.\n- **Workspace Directories:**\n  - ${workDir}\n</session_context>`,
          },
          { text: options.prompt ?? 'Create hello.txt' },
        ],
      },
      ...history,
    ],
    systemInstruction: { parts: [{ text: 'You are Gemini CLI, an autonomous CLI agent.' }] },
    tools: [
      {
        functionDeclarations: Object.entries(geminiDeclarations)
          .filter(([name]) => !hidden.includes(name))
          .map(([name, parametersJsonSchema]) => ({
            name,
            description: `${name} tool`,
            parametersJsonSchema,
          })),
      },
    ],
    generationConfig: {
      temperature: 1,
      topP: 0.95,
      topK: 64,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
    },
  };
}

/** The "auto" model router's request: not streamed, JSON output with a schema, no tools. */
export function geminiRouterBody() {
  return {
    contents: [{ role: 'user', parts: [{ text: 'Create hello.txt' }] }],
    systemInstruction: { parts: [{ text: 'You are a Lead Orchestrator for an AI system.' }] },
    generationConfig: {
      responseMimeType: 'application/json',
      responseJsonSchema: {
        type: 'object',
        properties: {
          complexity_reasoning: { type: 'string' },
          complexity_score: { type: 'integer' },
        },
        required: ['complexity_reasoning', 'complexity_score'],
      },
    },
  };
}
