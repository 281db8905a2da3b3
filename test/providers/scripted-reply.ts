/**
 * The protocol-neutral reply to one request: which scripted turn it gets and what that turn
 * becomes for the tools this request offers. Each protocol module then writes it in its own bytes.
 */
import { fillTemplate, selectTurn, type Scenario } from './scenario.ts';
import {
  exampleForSchema,
  findWorkingDirectory,
  readTask,
  type RequestFacts,
} from './request-facts.ts';
import { mapShell, mapWrite, type ToolCall } from './tool-call-mapping.ts';

/** Token counts of one reply, in Anthropic's terms: `input` excludes cached tokens. */
export interface ReplyUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type ScriptedReply =
  | { kind: 'error'; status: number; message: string }
  /** Text, a tool call, or text then a tool call. */
  | { kind: 'answer'; text: string | null; call: ToolCall | null; usage: ReplyUsage };

export interface PlannedReply {
  /** Wait this long before answering. */
  delayMs: number;
  reply: ScriptedReply;
}

/** About four bytes a token, as a tokenizer averages over English and JSON. */
export function estimateTokens(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4));
}

function usageFor(
  scenario: Scenario,
  requestBytes: number,
  text: string | null,
  call: ToolCall | null,
): ReplyUsage {
  const replyBytes =
    Buffer.byteLength(text ?? '') + (call === null ? 0 : Buffer.byteLength(JSON.stringify(call)));
  return {
    input: scenario.usage?.input ?? estimateTokens(requestBytes),
    output: scenario.usage?.output ?? estimateTokens(replyBytes),
    cacheRead: scenario.usage?.cacheRead ?? 0,
    cacheWrite: scenario.usage?.cacheWrite ?? 0,
  };
}

function describeTools(facts: RequestFacts): string {
  const names = facts.tools.map((tool) => tool.name);
  return names.length === 0 ? 'none' : names.join(', ');
}

/**
 * Picks the turn by the number of tool results in the request and maps it onto the offered
 * tools. A request without tools (opencode's title request) gets text: the turn's answer, or its
 * `say`, or the scenario's name. A request asking for JSON output without tools (Gemini CLI's
 * model router) gets a JSON value that fits the schema.
 */
export function planReply(
  scenario: Scenario,
  facts: RequestFacts,
  requestBytes: number,
): PlannedReply {
  const { delayMs, turn } = selectTurn(scenario, facts.toolResults);
  const values = { task: readTask(facts.promptTexts), model: facts.model };
  const fill = (text: string): string => fillTemplate(text, values);
  const answer = (text: string | null, call: ToolCall | null): PlannedReply => ({
    delayMs,
    reply: { kind: 'answer', text, call, usage: usageFor(scenario, requestBytes, text, call) },
  });

  if ('error' in turn) {
    return {
      delayMs,
      reply: { kind: 'error', status: turn.error.status, message: fill(turn.error.message) },
    };
  }
  if (facts.tools.length === 0 && facts.jsonSchema !== null) {
    return answer(JSON.stringify(exampleForSchema(facts.jsonSchema)), null);
  }
  if ('text' in turn) return answer(fill(turn.text), null);

  const say = turn.say === undefined ? null : fill(turn.say);
  if (facts.tools.length === 0) return answer(say ?? scenario.name, null);
  const context = { tools: facts.tools, cwd: findWorkingDirectory(facts.contextTexts) };
  const call =
    'write' in turn
      ? mapWrite({ path: fill(turn.write.path), content: fill(turn.write.content) }, context)
      : mapShell(fill(turn.shell), context);
  if (call === null) {
    const wanted = 'write' in turn ? `write ${turn.write.path}` : 'run a shell command';
    return answer(
      `Scripted provider: no offered tool can ${wanted} (tools: ${describeTools(facts)}).`,
      null,
    );
  }
  return answer(say, call);
}
