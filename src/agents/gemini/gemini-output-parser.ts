/**
 * Gemini CLI `stream-json` → Baton run events. The assistant's text arrives as `message`
 * deltas (one per model chunk) that are joined into one message per stretch of text between
 * tool calls; `tool_use`/`tool_result` pair by `tool_id`; the last `result` carries the status
 * and the token counts. The final answer is the text after the last tool call.
 */
import { z } from 'zod';
import type { AgentEvent, AgentOutputParser } from '../agent-profile.ts';
import { parseJsonLine } from '../json-line.ts';
import { clipText, commandText, summarizeToolInput } from '../tool-call-summary.ts';
import {
  geminiErrorSchema,
  geminiLineSchema,
  geminiMessageSchema,
  geminiResultSchema,
  geminiToolResultSchema,
  geminiToolUseSchema,
} from './schema.ts';

const summaryKeys = [
  'command',
  'file_path',
  'dir_path',
  'pattern',
  'path',
  'url',
  'query',
  'description',
] as const;

const fieldsSchema = z.record(z.string(), z.unknown());

interface PendingTool {
  name: string;
  input: Record<string, unknown>;
}

export class GeminiOutputParser implements AgentOutputParser {
  readonly #pending = new Map<string, PendingTool>();
  /** Deltas of the assistant text being streamed. */
  #current = '';
  #lastBlock = '';
  #result: { isError: boolean; failure: string | undefined } | undefined;
  #ended = false;

  line(text: string): AgentEvent[] {
    const value = parseJsonLine(text);
    if (!value) return [];
    const envelope = geminiLineSchema.safeParse(value);
    if (!envelope.success) return [];
    switch (envelope.data.type) {
      case 'message':
        return this.#message(value);
      case 'tool_use':
        return [...this.#flush(), ...this.#toolUse(value)];
      case 'tool_result':
        return [...this.#flush(), ...this.#toolResult(value)];
      case 'error': {
        const error = geminiErrorSchema.safeParse(value);
        return error.success
          ? [{ type: 'error', message: clipText(error.data.message, 500), fatal: false }]
          : [];
      }
      case 'result':
        return [...this.#flush(), ...this.#resultLine(value)];
      default:
        return [];
    }
  }

  end(exitCode: number | null): AgentEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const events = this.#flush();
    let failure = this.#result?.failure;
    if (!this.#result) {
      failure = `Gemini CLI ended without a result (exit code ${exitCode ?? 'none'})`;
      events.push({ type: 'error', message: failure, fatal: true });
    } else if (!this.#result.isError && this.#lastBlock === '') {
      failure = 'Gemini CLI finished without an answer';
      events.push({ type: 'error', message: failure, fatal: true });
    }
    events.push({
      type: 'final',
      text: this.#lastBlock !== '' ? this.#lastBlock : (failure ?? ''),
      isError: failure !== undefined || exitCode !== 0,
    });
    return events;
  }

  /** The streamed text so far as one message. */
  #flush(): AgentEvent[] {
    const text = this.#current;
    this.#current = '';
    if (text.trim() === '') return [];
    this.#lastBlock = text;
    return [{ type: 'message', text }];
  }

  #message(value: unknown): AgentEvent[] {
    const message = geminiMessageSchema.safeParse(value);
    if (!message.success || message.data.role !== 'assistant') return [];
    if (message.data.delta === true) {
      this.#current += message.data.content;
      return [];
    }
    // A whole message at once: it stands on its own.
    const events = this.#flush();
    this.#current = message.data.content;
    return [...events, ...this.#flush()];
  }

  #toolUse(value: unknown): AgentEvent[] {
    const call = geminiToolUseSchema.safeParse(value);
    if (!call.success) return [];
    const fields = fieldsSchema.safeParse(call.data.parameters);
    const input = fields.success ? fields.data : {};
    this.#pending.set(call.data.tool_id, { name: call.data.tool_name, input });
    return [
      {
        type: 'tool_call',
        tool: call.data.tool_name,
        summary: summarizeToolInput(input, summaryKeys),
      },
    ];
  }

  #toolResult(value: unknown): AgentEvent[] {
    const result = geminiToolResultSchema.safeParse(value);
    if (!result.success) return [];
    const tool = this.#pending.get(result.data.tool_id);
    if (!tool) return [];
    this.#pending.delete(result.data.tool_id);
    const succeeded = result.data.status === 'success';
    const output = result.data.output ?? '';
    const events: AgentEvent[] = [];
    const command = tool.input['command'];
    if (tool.name === 'run_shell_command' && typeof command === 'string') {
      const exit = /Exit Code: (\d+)/.exec(output);
      events.push({
        type: 'command',
        command: commandText(command),
        exitCode: exit ? Number(exit[1]) : null,
      });
    }
    const filePath = tool.input['file_path'];
    if (succeeded && typeof filePath === 'string') {
      if (tool.name === 'write_file') {
        const created = /created/i.test(output);
        events.push({ type: 'file_change', path: filePath, kind: created ? 'add' : 'update' });
      } else if (tool.name === 'replace') {
        events.push({ type: 'file_change', path: filePath, kind: 'update' });
      }
    }
    if (!succeeded) {
      const reason = result.data.error?.message ?? result.data.status;
      events.push({
        type: 'error',
        message: clipText(`${tool.name} failed: ${reason}`, 200),
        fatal: false,
      });
    }
    return events;
  }

  #resultLine(value: unknown): AgentEvent[] {
    const parsed = geminiResultSchema.safeParse(value);
    if (!parsed.success) return [];
    const { status, error, stats } = parsed.data;
    const isError = status !== 'success';
    const failure = isError
      ? clipText(error?.message ?? `Gemini CLI ended with status ${status}`, 500)
      : undefined;
    this.#result = { isError, failure };
    const events: AgentEvent[] = [];
    if (stats) {
      const cached = stats.cached ?? 0;
      events.push({
        type: 'usage',
        inputTokens: stats.input ?? Math.max(0, (stats.input_tokens ?? 0) - cached),
        outputTokens: stats.output_tokens ?? 0,
        cacheReadTokens: cached,
        cacheWriteTokens: 0,
      });
    }
    if (failure !== undefined) events.push({ type: 'error', message: failure, fatal: true });
    return events;
  }
}
