import { randomBytes } from 'node:crypto';

/** A typed event the runner script reports on stdout. */
export type RunnerEvent =
  | { type: 'started'; commands: number }
  | { type: 'command'; index: number; text: string }
  | { type: 'finished'; exitCode: number; failedCommand?: number };

export interface FlowScript {
  /** The script's text; run it as `<shell> <file>`. */
  text: string;
  shell: 'bash' | 'sh';
  /** Marks event lines, so that output of the flow cannot pass for an event by accident. */
  marker: string;
}

const recordSeparator = '\u001e';

/** Single-quotes a string for POSIX shells. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function event(value: RunnerEvent): string {
  return `__baton_event ${shellQuote(JSON.stringify(value))}`;
}

/**
 * The script that runs a GitLab-format flow's `commands` as GitLab Runner runs a job script: in
 * order, in one shell session (bash when present, as GitLab's own examples need it, else sh),
 * stopping at the first failing command, echoing each command before it runs. Typed events are
 * printed on stdout behind a per-run marker.
 */
export function buildFlowScript(commands: readonly string[], shell: 'bash' | 'sh'): FlowScript {
  const nonce = randomBytes(6).toString('hex');
  const marker = `${recordSeparator}baton:${nonce}:`;
  // An EXIT trap reports the end however it comes: set -e (as GitLab Runner uses), an explicit
  // `exit N` in a command, or the last command finishing.
  const finished =
    `__baton_status=$?; if [ -n "$__baton_done" ] || [ "$__baton_status" -eq 0 ]; then __baton_event '{"type":"finished","exitCode":0}'; ` +
    `else __baton_event "{\\"type\\":\\"finished\\",\\"exitCode\\":$__baton_status,\\"failedCommand\\":$__baton_index}"; fi`;
  const lines = [
    `__baton_event() { printf '%s%s\\n' ${shellQuote(marker)} "$1"; }`,
    '__baton_done=',
    '__baton_index=0',
    `trap ${shellQuote(finished)} EXIT`,
    shell === 'bash' ? 'set -eo pipefail' : 'set -e',
    event({ type: 'started', commands: commands.length }),
  ];
  commands.forEach((command, index) => {
    lines.push(`__baton_index=${index}`);
    lines.push(event({ type: 'command', index, text: command }));
    lines.push(`printf '%s\\n' ${shellQuote(`$ ${command}`)}`);
    lines.push(command);
  });
  lines.push('__baton_done=1');
  return { text: `${lines.join('\n')}\n`, shell, marker };
}

/**
 * Splits runner output into events and log text, line by line, across chunk boundaries. Lines
 * that merely look like events but lack this run's marker stay log text.
 */
export class RunnerOutputParser {
  readonly #marker: string;
  #pending = '';

  constructor(marker: string) {
    this.#marker = marker;
  }

  push(chunk: string): { events: RunnerEvent[]; text: string } {
    const data = this.#pending + chunk;
    const lastNewline = data.lastIndexOf('\n');
    this.#pending = lastNewline === -1 ? data : data.slice(lastNewline + 1);
    return this.#parse(lastNewline === -1 ? '' : data.slice(0, lastNewline + 1));
  }

  flush(): { events: RunnerEvent[]; text: string } {
    const rest = this.#pending;
    this.#pending = '';
    return this.#parse(rest);
  }

  #parse(block: string): { events: RunnerEvent[]; text: string } {
    const events: RunnerEvent[] = [];
    let text = '';
    for (const line of block.split(/(?<=\n)/)) {
      if (line.startsWith(this.#marker)) {
        try {
          events.push(JSON.parse(line.slice(this.#marker.length)) as RunnerEvent);
          continue;
        } catch {
          // Not an event after all: keep it as text.
        }
      }
      text += line;
    }
    return { events, text };
  }
}
