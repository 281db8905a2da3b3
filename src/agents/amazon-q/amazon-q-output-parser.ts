/**
 * Amazon Q Developer CLI output → Baton run events. `q chat --no-interactive` has no
 * machine-readable mode: stdout is the answer as text (its `--verbose` logs go to stderr), so
 * the final answer is the whole of stdout, without terminal codes.
 */
import type { AgentEvent, AgentOutputParser } from '../agent-profile.ts';
import { keepTail, stripTerminalCodes } from '../terminal-text.ts';

export class AmazonQOutputParser implements AgentOutputParser {
  #text = '';
  #ended = false;

  line(text: string): AgentEvent[] {
    this.#text = keepTail(`${this.#text}${stripTerminalCodes(text)}\n`);
    return [];
  }

  end(exitCode: number | null): AgentEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const answer = this.#text.trim();
    const events: AgentEvent[] = [];
    if (exitCode !== 0) {
      events.push({
        type: 'error',
        message: `Amazon Q exited with code ${exitCode ?? 'none'}`,
        fatal: true,
      });
    } else if (answer === '') {
      events.push({ type: 'error', message: 'Amazon Q printed no answer', fatal: true });
    }
    events.push({ type: 'final', text: answer, isError: exitCode !== 0 || answer === '' });
    return events;
  }
}
