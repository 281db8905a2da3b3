/**
 * Output of a custom flow's commands → Baton run events. The commands print what they like;
 * the final answer is the last block of output (lines up to the last blank line), which is what
 * a script's closing `echo` produces.
 */
import type { AgentEvent, AgentOutputParser } from '../agent-profile.ts';
import { keepTail, stripTerminalCodes } from '../terminal-text.ts';

/** The last run of non-blank lines. */
function lastBlock(text: string): string {
  const blocks = text
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter((block) => block !== '');
  return blocks.at(-1) ?? '';
}

export class CustomOutputParser implements AgentOutputParser {
  #text = '';
  #ended = false;

  line(text: string): AgentEvent[] {
    this.#text = keepTail(`${this.#text}${stripTerminalCodes(text)}\n`);
    return [];
  }

  end(exitCode: number | null): AgentEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const answer = lastBlock(this.#text);
    const events: AgentEvent[] = [];
    if (exitCode !== 0) {
      events.push({
        type: 'error',
        message: `The flow's commands exited with code ${exitCode ?? 'none'}`,
        fatal: true,
      });
    }
    events.push({ type: 'final', text: answer, isError: exitCode !== 0 });
    return events;
  }
}
