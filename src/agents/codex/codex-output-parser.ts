/**
 * `codex exec --json` → Baton run events. Codex prints `item.*` lines for what the agent does
 * (commands, patches, messages), `turn.completed` with usage or `turn.failed`, and `error` lines
 * while it reconnects. The final answer is the last `agent_message`.
 */
import type { AgentEvent, AgentOutputParser } from '../agent-profile.ts';
import { parseJsonLine } from '../json-line.ts';
import { clipText, commandText, firstLine } from '../tool-call-summary.ts';
import {
  codexCommandItemSchema,
  codexErrorItemSchema,
  codexErrorLineSchema,
  codexFileChangeItemSchema,
  codexItemLineSchema,
  codexLineSchema,
  codexMcpToolCallItemSchema,
  codexTextItemSchema,
  codexTurnCompletedSchema,
  codexTurnFailedSchema,
  codexWebSearchItemSchema,
} from './schema.ts';

type FileChangeKind = 'add' | 'update' | 'delete';

function fileChangeKind(kind: string | null | undefined): FileChangeKind {
  return kind === 'add' || kind === 'delete' ? kind : 'update';
}

export class CodexOutputParser implements AgentOutputParser {
  /** Items whose `tool_call` went out at `item.started`. */
  readonly #announced = new Set<string>();
  #lastMessage = '';
  #turnCompleted = false;
  #failure: string | undefined;
  #ended = false;

  line(text: string): AgentEvent[] {
    const value = parseJsonLine(text);
    if (!value) return [];
    const envelope = codexLineSchema.safeParse(value);
    if (!envelope.success) return [];
    switch (envelope.data.type) {
      case 'item.started':
        return this.#item(value, false);
      case 'item.completed':
        return this.#item(value, true);
      case 'turn.completed':
        return this.#turnCompletedLine(value);
      case 'turn.failed':
        return this.#turnFailedLine(value);
      case 'error': {
        const error = codexErrorLineSchema.safeParse(value);
        return error.success
          ? [{ type: 'error', message: clipText(error.data.message, 500), fatal: false }]
          : [];
      }
      default:
        return [];
    }
  }

  end(exitCode: number | null): AgentEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const events: AgentEvent[] = [];
    if (this.#failure === undefined && !this.#turnCompleted) {
      this.#failure = `Codex ended before its turn finished (exit code ${exitCode ?? 'none'})`;
      events.push({ type: 'error', message: this.#failure, fatal: true });
    } else if (this.#failure === undefined && this.#lastMessage === '') {
      this.#failure = 'Codex finished without an answer';
      events.push({ type: 'error', message: this.#failure, fatal: true });
    }
    const isError = this.#failure !== undefined || exitCode !== 0;
    const text = this.#lastMessage !== '' ? this.#lastMessage : (this.#failure ?? '');
    events.push({ type: 'final', text, isError });
    return events;
  }

  #item(value: unknown, completed: boolean): AgentEvent[] {
    const line = codexItemLineSchema.safeParse(value);
    if (!line.success) return [];
    const { item } = line.data;
    const id = item.id ?? undefined;
    const announce = (tool: string, summary: string): AgentEvent[] => {
      if (id !== undefined && this.#announced.has(id)) return [];
      if (id !== undefined && !completed) this.#announced.add(id);
      return [{ type: 'tool_call', tool, summary }];
    };
    switch (item.type) {
      case 'command_execution': {
        const command = codexCommandItemSchema.safeParse(item);
        if (!command.success) return [];
        const events = announce('shell', firstLine(command.data.command));
        if (completed) {
          events.push({
            type: 'command',
            command: commandText(command.data.command),
            exitCode: command.data.exit_code ?? null,
          });
        }
        return events;
      }
      case 'file_change': {
        const change = codexFileChangeItemSchema.safeParse(item);
        if (!change.success) return [];
        const paths = change.data.changes.map((entry) => entry.path).join(', ');
        const events = announce('apply_patch', clipText(paths, 120));
        if (!completed) return events;
        if (change.data.status === 'failed') {
          events.push({
            type: 'error',
            message: clipText(`apply_patch failed: ${paths}`, 200),
            fatal: false,
          });
          return events;
        }
        for (const entry of change.data.changes) {
          events.push({ type: 'file_change', path: entry.path, kind: fileChangeKind(entry.kind) });
        }
        return events;
      }
      case 'mcp_tool_call': {
        const call = codexMcpToolCallItemSchema.safeParse(item);
        if (!call.success) return [];
        const name = [call.data.server, call.data.tool].filter(Boolean).join('.');
        return announce(name === '' ? 'mcp' : name, '');
      }
      case 'web_search': {
        const search = codexWebSearchItemSchema.safeParse(item);
        return search.success ? announce('web_search', firstLine(search.data.query ?? '')) : [];
      }
      case 'agent_message': {
        const message = codexTextItemSchema.safeParse(item);
        if (!completed || !message.success || message.data.text.trim() === '') return [];
        this.#lastMessage = message.data.text;
        return [{ type: 'message', text: message.data.text }];
      }
      case 'error': {
        // Warnings, e.g. "Model metadata for `x` not found"; the turn goes on.
        const error = codexErrorItemSchema.safeParse(item);
        return completed && error.success
          ? [{ type: 'error', message: clipText(error.data.message, 500), fatal: false }]
          : [];
      }
      default:
        return [];
    }
  }

  #turnCompletedLine(value: unknown): AgentEvent[] {
    const turn = codexTurnCompletedSchema.safeParse(value);
    if (!turn.success) return [];
    this.#turnCompleted = true;
    const usage = turn.data.usage;
    if (!usage) return [];
    const cacheRead = usage.cached_input_tokens ?? 0;
    const cacheWrite = usage.cache_write_input_tokens ?? 0;
    return [
      {
        type: 'usage',
        // OpenAI counts cached input inside input_tokens; Baton's inputTokens are the rest.
        inputTokens: Math.max(0, (usage.input_tokens ?? 0) - cacheRead - cacheWrite),
        outputTokens: usage.output_tokens ?? 0,
        cacheReadTokens: cacheRead,
        cacheWriteTokens: cacheWrite,
      },
    ];
  }

  #turnFailedLine(value: unknown): AgentEvent[] {
    const turn = codexTurnFailedSchema.safeParse(value);
    if (!turn.success) return [];
    this.#failure = clipText(turn.data.error?.message ?? 'Codex reported a failed turn', 500);
    return [{ type: 'error', message: this.#failure, fatal: true }];
  }
}
