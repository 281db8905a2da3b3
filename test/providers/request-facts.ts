/**
 * What a scripted reply needs to know about a request, read the same way for every protocol:
 * the tools on offer, how far the conversation has come, where the agent works and what it was
 * asked.
 */

/** A tool the request offers the model. `custom` is the Responses API's free-form tool. */
export interface OfferedTool {
  name: string;
  kind: 'function' | 'custom';
  /** The JSON schema of its arguments, when it has one. */
  parameters: unknown;
}

export interface RequestFacts {
  tools: OfferedTool[];
  /** Tool results already in the history: the index of the scripted turn to answer with. */
  toolResults: number;
  /** Every system and user text, searched for the working directory. */
  contextTexts: string[];
  /** User texts before the first assistant turn, in order; the last real one is the task. */
  promptTexts: string[];
  /** The JSON schema the reply must follow (structured output), or null. */
  jsonSchema: unknown;
  model: string | null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Texts of a content value that is a string or an array of `{type, text}` parts. */
export function contentTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  return asArray(content).flatMap((part) => {
    const text = isRecord(part) ? asString(part['text']) : null;
    return text === null ? [] : [text];
  });
}

// Where each CLI states its working directory: Claude Code, opencode, Codex, Gemini CLI.
const cwdPatterns = [
  /Primary working directory:[ \t]*(\/[^\s`]*)/,
  /Working directory:[ \t]*(\/[^\s`]*)/,
  /<cwd>\s*(\/[^<\s]*)\s*<\/cwd>/,
  /Workspace Directories:\**\s*-?\s*(\/[^\s`]*)/,
  /working in the directory:?[ \t]*`?(\/[^\s`]*)/i,
];

/** The absolute working directory a harness told the model about, or null. */
export function findWorkingDirectory(texts: string[]): string | null {
  for (const pattern of cwdPatterns) {
    for (const text of texts) {
      const found = pattern.exec(text)?.[1];
      if (found) return found.replace(/[.,;:]+$/, '');
    }
  }
  return null;
}

/** Text a harness adds to the user's turn: reminders, environment and session context, AGENTS.md. */
function isHarnessText(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed === '' || trimmed.startsWith('<') || trimmed.startsWith('# AGENTS.md');
}

/** The first non-empty line; one that introduces the next (ends with ":") gets that line too. */
function firstLine(text: string): string | null {
  const lines = text
    .split('\n')
    .map((candidate) => candidate.replace(/^#+\s*/, '').trim())
    .filter((candidate) => candidate !== '');
  const [first, second] = lines;
  if (first === undefined) return null;
  const line = first.endsWith(':') && second !== undefined ? `${first} ${second}` : first;
  return line.slice(0, 200);
}

/**
 * The first line of the task: the last user text before the model first answered, skipping what
 * the harness added. In a prompt with a `## Task` section (Baton's), the first line of that section.
 * At most 200 characters.
 */
export function readTask(promptTexts: string[]): string | null {
  const prompt = promptTexts.filter((text) => !isHarnessText(text)).at(-1);
  if (prompt === undefined) return null;
  const section = /^##\s+Task\s*$([\s\S]*?)(?=^##\s|(?![\s\S]))/m.exec(prompt)?.[1];
  return firstLine(section ?? '') ?? firstLine(prompt);
}

/**
 * A value that satisfies a JSON schema (lower- or upper-case types, as Gemini allows): the first
 * enum value, every property, empty arrays. Gemini CLI's model router gets its own answer.
 */
export function exampleForSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return {};
  const properties = isRecord(schema['properties']) ? schema['properties'] : null;
  if (properties !== null && 'complexity_score' in properties) {
    return { complexity_reasoning: 'simple', complexity_score: 1 };
  }
  if ('const' in schema) return schema['const'];
  const choices = asArray(schema['enum']);
  if (choices.length > 0) return choices[0];
  const alternatives = asArray(schema['anyOf'] ?? schema['oneOf']);
  if (alternatives.length > 0) return exampleForSchema(alternatives[0]);
  const rawType = schema['type'];
  const type = (Array.isArray(rawType) ? asString(rawType[0]) : asString(rawType))?.toLowerCase();
  switch (type) {
    case 'string':
      return 'scripted';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'null':
      return null;
    default:
      return Object.fromEntries(
        Object.entries(properties ?? {}).map(([key, value]) => [key, exampleForSchema(value)]),
      );
  }
}
