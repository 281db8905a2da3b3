/**
 * What a scripted provider answers. A scenario is stateless: every request is answered from the
 * request itself (how many tool results its history holds), so a retried request gets the same
 * answer and one scenario serves any number of agents at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * One step of the script. Turn `n` answers a request whose history holds `n` tool results.
 *
 * Strings may hold `{{task}}` (the first line of the agent's task, see `readTask`) and
 * `{{model}}` (the model the request named).
 */
export type Turn =
  /** Make the agent write a file with its own file tool (or its shell, when it has no file tool). */
  | { write: { path: string; content: string }; say?: string }
  /** Make the agent run a shell command with its own shell tool. */
  | { shell: string; say?: string }
  /** A final answer. */
  | { text: string }
  /** Fail with the provider's own error body and this HTTP status. */
  | { error: { status: number; message: string } }
  /** Wait this long before answering with `then` (for timeout tests; tests themselves never sleep). */
  | { delayMs: number; then: Turn };

export interface ScenarioUsage {
  /** Input tokens neither read from nor written to a cache (Anthropic's `input_tokens`). */
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface Scenario {
  name: string;
  turns: Turn[];
  /**
   * Token counts every reply reports. Without it, input is estimated from the request's size
   * (4 bytes a token) and output from the reply's.
   */
  usage?: ScenarioUsage;
  /** Wait this long between two streamed events, to observe streaming through a proxy. */
  chunkDelayMs?: number;
}

const nonNegative = z.number().int().nonnegative();

const turnSchema: z.ZodType<Turn> = z.lazy(() =>
  z.union([
    z.strictObject({
      write: z.strictObject({ path: z.string().min(1), content: z.string() }),
      say: z.string().min(1).optional(),
    }),
    z.strictObject({ shell: z.string(), say: z.string().min(1).optional() }),
    // Gemini CLI rejects a text-only turn whose text is empty, so an empty answer is never scripted.
    z.strictObject({ text: z.string().min(1) }),
    z.strictObject({
      error: z.strictObject({ status: z.number().int().min(400).max(599), message: z.string() }),
    }),
    z.strictObject({ delayMs: nonNegative, then: turnSchema }),
  ]),
);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  turns: z.array(turnSchema).min(1),
  usage: z
    .strictObject({
      input: nonNegative,
      output: nonNegative,
      cacheRead: nonNegative.optional(),
      cacheWrite: nonNegative.optional(),
    })
    .optional(),
  chunkDelayMs: nonNegative.optional(),
});

/** Checks a scenario built in code or read from a file; throws a readable error when it is wrong. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) {
    throw new Error(`${source} is not a valid scenario:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** The folder of named scenarios shipped with the scripted provider. */
export const scenariosDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');

const extensions = ['.json', '.yaml', '.yml'];

/**
 * Reads a scenario by name (`demo` → `scenarios/demo.json`, `.yaml` or `.yml`) or from a path to
 * a JSON or YAML file. Synchronous, so a test file can load one at module level.
 */
export function loadScenario(nameOrPath: string): Scenario {
  const isPath = nameOrPath.includes('/') || extensions.includes(path.extname(nameOrPath));
  const candidates = isPath
    ? [path.resolve(nameOrPath)]
    : extensions.map((extension) => path.join(scenariosDir, nameOrPath + extension));
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file === undefined) {
    throw new Error(`No scenario ${nameOrPath}: looked for ${candidates.join(', ')}`);
  }
  const text = readFileSync(file, 'utf8');
  const data: unknown = path.extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  return parseScenario(data, file);
}

/** The answer past the end of the script: the last text turn, or "done". */
function finalTurn(scenario: Scenario): Turn {
  const texts = scenario.turns.filter((turn) => 'text' in turn);
  return texts.at(-1) ?? { text: 'done' };
}

export type SettledTurn = Exclude<Turn, { delayMs: number }>;

/** The turn for a request whose history holds `toolResults` tool results, with its total delay. */
export function selectTurn(
  scenario: Scenario,
  toolResults: number,
): { delayMs: number; turn: SettledTurn } {
  let turn = scenario.turns[toolResults] ?? finalTurn(scenario);
  let delayMs = 0;
  while ('delayMs' in turn) {
    delayMs += turn.delayMs;
    turn = turn.then;
  }
  return { delayMs, turn };
}

export interface TemplateValues {
  task: string | null;
  model: string | null;
}

/** Fills `{{task}}` and `{{model}}`; an unknown value becomes "(unknown)". */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(/\{\{\s*(task|model)\s*\}\}/g, (_match, key: 'task' | 'model') => {
    return values[key] ?? '(unknown)';
  });
}
