/**
 * `opencode run --format json` → Baton run events. Opencode prints a line when a tool call has
 * finished (`tool_use`), when a text part is complete (`text`, no deltas), when a model call
 * ends (`step_finish`, with tokens and cost) and on a session error (`error`). The last `text`
 * is the answer; a run without one failed, even with exit code 0 (a permission it auto-rejected
 * makes the agent stop silently).
 */
import { z } from 'zod';
import type { AgentEvent, AgentOutputParser } from '../agent-profile.ts';
import { parseJsonLine } from '../json-line.ts';
import { clipText, commandText, summarizeToolInput } from '../tool-call-summary.ts';
import {
  opencodeErrorSchema,
  opencodeLineSchema,
  opencodeStepFinishSchema,
  opencodeTextSchema,
  opencodeToolUseSchema,
} from './schema.ts';

const summaryKeys = [
  'command',
  'filePath',
  'pattern',
  'path',
  'url',
  'query',
  'description',
  'name',
] as const;

const fieldsSchema = z.record(z.string(), z.unknown());

function fieldsOf(value: unknown): Record<string, unknown> {
  const parsed = fieldsSchema.safeParse(value);
  return parsed.success ? parsed.data : {};
}

/** The files an apply_patch call names, from the patch's own headers. */
function patchedFiles(patch: string): { path: string; kind: 'add' | 'update' | 'delete' }[] {
  const kinds = { Add: 'add', Update: 'update', Delete: 'delete' } as const;
  const files: { path: string; kind: 'add' | 'update' | 'delete' }[] = [];
  for (const match of patch.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$/gm)) {
    const verb = match[1] as keyof typeof kinds;
    const path = match[2]?.trim();
    if (path) files.push({ path, kind: kinds[verb] });
  }
  return files;
}

export class OpencodeOutputParser implements AgentOutputParser {
  #lastText = '';
  #failure: string | undefined;
  #ended = false;

  line(text: string): AgentEvent[] {
    const value = parseJsonLine(text);
    if (!value) return [];
    const envelope = opencodeLineSchema.safeParse(value);
    if (!envelope.success) return [];
    switch (envelope.data.type) {
      case 'tool_use':
        return this.#toolUse(value);
      case 'text': {
        const part = opencodeTextSchema.safeParse(value);
        if (!part.success || part.data.part.text.trim() === '') return [];
        this.#lastText = part.data.part.text;
        return [{ type: 'message', text: part.data.part.text }];
      }
      case 'step_finish':
        return this.#stepFinish(value);
      case 'error': {
        const error = opencodeErrorSchema.safeParse(value);
        const detail = error.success
          ? (error.data.error?.data?.message ?? error.data.error?.name ?? undefined)
          : undefined;
        this.#failure = clipText(detail ?? 'Opencode reported an error', 500);
        return [{ type: 'error', message: this.#failure, fatal: true }];
      }
      default:
        return [];
    }
  }

  end(exitCode: number | null): AgentEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const events: AgentEvent[] = [];
    if (this.#failure === undefined && this.#lastText === '') {
      this.#failure = `Opencode finished without an answer (exit code ${exitCode ?? 'none'})`;
      events.push({ type: 'error', message: this.#failure, fatal: true });
    }
    events.push({
      type: 'final',
      text: this.#lastText !== '' ? this.#lastText : (this.#failure ?? ''),
      isError: this.#failure !== undefined || exitCode !== 0,
    });
    return events;
  }

  #toolUse(value: unknown): AgentEvent[] {
    const parsed = opencodeToolUseSchema.safeParse(value);
    if (!parsed.success) return [];
    const { tool, state } = parsed.data.part;
    const input = fieldsOf(state.input);
    const metadata = fieldsOf(state.metadata);
    const completed = state.status === 'completed';
    const events: AgentEvent[] = [
      {
        type: 'tool_call',
        tool,
        summary:
          tool === 'apply_patch' && typeof input['patchText'] === 'string'
            ? clipText(
                patchedFiles(input['patchText'])
                  .map((file) => file.path)
                  .join(', '),
                120,
              )
            : summarizeToolInput(input, summaryKeys),
      },
    ];
    if (tool === 'bash' && typeof input['command'] === 'string') {
      const exit = metadata['exit'] ?? metadata['exitCode'];
      events.push({
        type: 'command',
        command: commandText(input['command']),
        exitCode: typeof exit === 'number' ? exit : null,
      });
    }
    if (completed && typeof input['filePath'] === 'string') {
      if (tool === 'write') {
        const kind = metadata['exists'] === false ? 'add' : 'update';
        events.push({ type: 'file_change', path: input['filePath'], kind });
      } else if (tool === 'edit' || tool === 'multiedit') {
        events.push({ type: 'file_change', path: input['filePath'], kind: 'update' });
      }
    }
    if (completed && tool === 'apply_patch' && typeof input['patchText'] === 'string') {
      for (const file of patchedFiles(input['patchText'])) {
        events.push({ type: 'file_change', path: file.path, kind: file.kind });
      }
    }
    if (state.status === 'error') {
      events.push({
        type: 'error',
        message: clipText(`${tool} failed: ${state.error ?? 'unknown error'}`, 200),
        fatal: false,
      });
    }
    return events;
  }

  #stepFinish(value: unknown): AgentEvent[] {
    const parsed = opencodeStepFinishSchema.safeParse(value);
    if (!parsed.success || !parsed.data.part.tokens) return [];
    const { tokens, cost } = parsed.data.part;
    return [
      {
        type: 'usage',
        inputTokens: tokens.input ?? 0,
        outputTokens: tokens.output ?? 0,
        cacheReadTokens: tokens.cache?.read ?? 0,
        cacheWriteTokens: tokens.cache?.write ?? 0,
        ...(typeof cost === 'number' ? { costUsd: cost } : {}),
      },
    ];
  }
}
