/**
 * Claude Code `stream-json` → Baton run events. Claude prints one line per content block
 * (`assistant`), one per tool result (`user`), retries (`system/api_retry`) and a last `result`
 * with the answer, usage and `is_error`.
 */
import { z } from 'zod';
import type { AgentEvent, AgentOutputParser } from '../agent-profile.ts';
import { parseJsonLine } from '../json-line.ts';
import { clipText, commandText, summarizeToolInput } from '../tool-call-summary.ts';
import {
  claudeApiRetrySchema,
  claudeLineSchema,
  claudeMessageLineSchema,
  claudeResultSchema,
  claudeTextBlockSchema,
  claudeToolResultBlockSchema,
  claudeToolUseBlockSchema,
} from './schema.ts';

/** Input keys that name what a tool works on, most telling first; never contents. */
const summaryKeys = [
  'command',
  'file_path',
  'notebook_path',
  'pattern',
  'path',
  'url',
  'query',
  'description',
  'skill',
] as const;

/** Tools that write files, and the input key holding the path. */
const fileTools: Record<string, string> = {
  Write: 'file_path',
  Edit: 'file_path',
  MultiEdit: 'file_path',
  NotebookEdit: 'notebook_path',
};

const toolUseResultSchema = z.object({ type: z.string() });
const filePathInputSchema = z.record(z.string(), z.unknown());

interface PendingTool {
  name: string;
  input: unknown;
}

interface ClaudeResult {
  text: string;
  isError: boolean;
}

/** Text of a tool_result's content: a string, or a list of text blocks. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const parsed = claudeTextBlockSchema.safeParse(block);
      return parsed.success ? parsed.data.text : '';
    })
    .join('\n');
}

/** Claude's Bash tool reports a failed command as "Exit code N" at the start of the result. */
function exitCodeOf(content: unknown): number | null {
  const match = /^Exit code (\d+)/.exec(resultText(content).trim());
  return match ? Number(match[1]) : null;
}

function describeFailure(result: z.infer<typeof claudeResultSchema>): string {
  const parts = [
    result.api_error_status ? `HTTP ${result.api_error_status}` : undefined,
    result.terminal_reason ?? undefined,
    result.subtype === 'success' ? undefined : result.subtype,
  ].filter((part): part is string => part !== undefined);
  const detail = result.result ?? result.errors?.join('; ') ?? '';
  const text = detail === '' ? 'Claude Code reported an error' : detail;
  return clipText(parts.length > 0 ? `${text} (${parts.join(', ')})` : text, 500);
}

export class ClaudeCodeOutputParser implements AgentOutputParser {
  readonly #pending = new Map<string, PendingTool>();
  #lastText = '';
  #result: ClaudeResult | undefined;
  #ended = false;

  line(text: string): AgentEvent[] {
    const value = parseJsonLine(text);
    if (!value) return [];
    const envelope = claudeLineSchema.safeParse(value);
    if (!envelope.success) return [];
    switch (envelope.data.type) {
      case 'assistant':
        return this.#assistant(value);
      case 'user':
        return this.#user(value);
      case 'system':
        return envelope.data.subtype === 'api_retry' ? this.#apiRetry(value) : [];
      case 'result':
        return this.#resultLine(value);
      default:
        return [];
    }
  }

  end(exitCode: number | null): AgentEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    if (this.#result) {
      return [
        {
          type: 'final',
          text: this.#result.text,
          isError: this.#result.isError || exitCode !== 0,
        },
      ];
    }
    return [
      {
        type: 'error',
        message: `Claude Code ended without a result (exit code ${exitCode ?? 'none'})`,
        fatal: true,
      },
      { type: 'final', text: this.#lastText, isError: true },
    ];
  }

  #assistant(value: unknown): AgentEvent[] {
    const line = claudeMessageLineSchema.safeParse(value);
    if (!line.success || typeof line.data.message.content === 'string') return [];
    const events: AgentEvent[] = [];
    for (const block of line.data.message.content) {
      const textBlock = claudeTextBlockSchema.safeParse(block);
      if (textBlock.success) {
        if (textBlock.data.text.trim() === '') continue;
        this.#lastText = textBlock.data.text;
        events.push({ type: 'message', text: textBlock.data.text });
        continue;
      }
      const toolUse = claudeToolUseBlockSchema.safeParse(block);
      if (toolUse.success) {
        const { id, name, input } = toolUse.data;
        this.#pending.set(id, { name, input });
        events.push({
          type: 'tool_call',
          tool: name,
          summary: summarizeToolInput(input, summaryKeys),
        });
      }
    }
    return events;
  }

  #user(value: unknown): AgentEvent[] {
    const line = claudeMessageLineSchema.safeParse(value);
    if (!line.success || typeof line.data.message.content === 'string') return [];
    const toolUseResult = toolUseResultSchema.safeParse(line.data.tool_use_result);
    const events: AgentEvent[] = [];
    for (const block of line.data.message.content) {
      const result = claudeToolResultBlockSchema.safeParse(block);
      if (!result.success) continue;
      const tool = this.#pending.get(result.data.tool_use_id);
      if (!tool) continue;
      this.#pending.delete(result.data.tool_use_id);
      const failed = result.data.is_error === true;
      const input = filePathInputSchema.safeParse(tool.input);
      const fields = input.success ? input.data : {};
      if (tool.name === 'Bash' && typeof fields['command'] === 'string') {
        events.push({
          type: 'command',
          command: commandText(fields['command']),
          exitCode: failed ? exitCodeOf(result.data.content) : 0,
        });
      }
      const pathKey = fileTools[tool.name];
      const filePath = pathKey === undefined ? undefined : fields[pathKey];
      if (!failed && typeof filePath === 'string') {
        const created =
          tool.name === 'Write' && toolUseResult.success && toolUseResult.data.type === 'create';
        events.push({ type: 'file_change', path: filePath, kind: created ? 'add' : 'update' });
      }
      if (failed) {
        const reason = resultText(result.data.content).trim().split('\n')[0] ?? '';
        events.push({
          type: 'error',
          message: clipText(`${tool.name} failed: ${reason}`, 200),
          fatal: false,
        });
      }
    }
    return events;
  }

  #apiRetry(value: unknown): AgentEvent[] {
    const retry = claudeApiRetrySchema.safeParse(value);
    if (!retry.success) return [];
    const { attempt, max_retries: maxRetries, error_status: status, error } = retry.data;
    const cause = [status ? `HTTP ${status}` : undefined, error ?? undefined]
      .filter((part) => part !== undefined)
      .join(' ');
    const count = attempt ? ` (retry ${attempt}${maxRetries ? ` of ${maxRetries}` : ''})` : '';
    return [
      {
        type: 'error',
        message: `Model API call failed${cause === '' ? '' : `: ${cause}`}${count}`,
        fatal: false,
      },
    ];
  }

  #resultLine(value: unknown): AgentEvent[] {
    const parsed = claudeResultSchema.safeParse(value);
    if (!parsed.success) return [];
    const result = parsed.data;
    // subtype "success" can come with is_error true (an API error ended the run): read both.
    const isError = result.is_error === true || result.subtype !== 'success';
    // On an error Claude's own text can mislead ("Not logged in · Please run /login" on a 401
    // from the gateway); the status and reason go with it.
    const text = isError ? describeFailure(result) : (result.result ?? this.#lastText);
    this.#result = { text, isError };
    const events: AgentEvent[] = [];
    if (result.usage) {
      events.push({
        type: 'usage',
        inputTokens: result.usage.input_tokens ?? 0,
        outputTokens: result.usage.output_tokens ?? 0,
        cacheReadTokens: result.usage.cache_read_input_tokens ?? 0,
        cacheWriteTokens: result.usage.cache_creation_input_tokens ?? 0,
        // Claude's own estimate at list prices; the gateway's metering is what Baton bills.
        ...(typeof result.total_cost_usd === 'number' ? { costUsd: result.total_cost_usd } : {}),
      });
    }
    if (isError) events.push({ type: 'error', message: describeFailure(result), fatal: true });
    return events;
  }
}
