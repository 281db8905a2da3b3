import { redactSecrets } from '../../secrets/redact.ts';
import { codeBlock, inlineCode, neutralizeQuickActions, truncateText } from './forge-markdown.ts';
import type { PublishStep } from './publish-error.ts';
import type { PublishResult } from './publish-run.ts';

/** Where a run can fail, in the order a run goes through them. */
export type RunStep = 'workspace' | 'sandbox' | 'agent' | PublishStep;

export type RunOutcome =
  /** The flow exited 0 and its work was published (or there was nothing to publish). */
  | { kind: 'published'; result: PublishResult; answer?: string | null }
  | {
      kind: 'failed';
      step: RunStep;
      /** Already written for the user (e.g. a PublishError's message); redacted here anyway. */
      message?: string | null;
      exitCode?: number | null;
      logTail?: readonly string[];
      hint?: string | null;
    }
  | { kind: 'timed_out'; limitMs: number; logTail?: readonly string[] }
  | { kind: 'cancelled'; by: string | null };

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number | null;
}

export interface FinalNoteInput {
  runId: string;
  outcome: RunOutcome;
  durationMs: number;
  usage?: TokenUsage | null;
  /** The run's page in Baton, when Baton has a public URL. */
  runUrl?: string | null;
  /** Masked variable values; none of them may appear in the note. */
  secrets: readonly string[];
}

export interface FinalNote {
  body: string;
  /**
   * `reply`: a new note in the run's thread (the agent's answer, so people are notified as for
   * any reply); `edit`: the run's progress note becomes the final answer.
   */
  placement: 'edit' | 'reply';
}

const answerLimit = 100_000;
const logLines = 20;

const steps: Record<RunStep, { doing: string; hint: string }> = {
  workspace: {
    doing: 'preparing the workspace',
    hint: 'Check that the service account can read the repository and that the branch still exists, then ask again.',
  },
  sandbox: {
    doing: "starting the agent's sandbox",
    hint: 'This is a problem on the Baton server: an administrator can find the details in its log for this run.',
  },
  agent: {
    doing: 'running the agent',
    hint: "Look at the last log lines for the cause (for example a CI/CD variable the flow lists but the project does not define, or the agent's own error), fix it, then ask again.",
  },
  commit: {
    doing: "reading the agent's changes",
    hint: 'Ask again; if it keeps failing, an administrator can find the details in the Baton log for this run.',
  },
  push: {
    doing: 'pushing the changes',
    hint: 'Check that the service account has the Developer role and may push to the branch, then ask again.',
  },
  merge_request: {
    doing: 'opening the merge request',
    hint: 'The changes are pushed; you can open a merge request from the branch yourself.',
  },
};

/** `850 ms`, `12 s`, `2 min 5 s`, `1 h 3 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60)
    return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

function footer(input: FinalNoteInput): string {
  const parts = [`Duration ${formatDuration(input.durationMs)}`];
  const { usage } = input;
  if (usage) {
    const n = (value: number) => value.toLocaleString('en-US');
    parts.push(`${n(usage.inputTokens)} input / ${n(usage.outputTokens)} output tokens`);
    if (usage.costUsd !== undefined && usage.costUsd !== null) {
      parts.push(`$${usage.costUsd.toFixed(2)}`);
    }
  }
  parts.push(
    input.runUrl ? `[Run ${input.runId}](${input.runUrl})` : `Run ${inlineCode(input.runId)}`,
  );
  return `---\n\n${parts.join(' · ')}`;
}

function logDetails(lines: readonly string[] | undefined): string | null {
  if (!lines || lines.length === 0) return null;
  const tail = lines.slice(-logLines).join('\n');
  return `<details><summary>Last log lines</summary>\n\n${codeBlock(tail)}\n\n</details>`;
}

function publishedBody(outcome: Extract<RunOutcome, { kind: 'published' }>): string {
  const { result } = outcome;
  switch (result.kind) {
    case 'merge_request':
      return result.created
        ? `✅ The agent's changes are ready for review in merge request [!${result.iid}](${result.url}).`
        : `✅ The agent opened merge request [!${result.iid}](${result.url}).`;
    case 'pushed':
      return `✅ The agent's changes are pushed to ${inlineCode(result.branch)} (commit ${inlineCode(result.sha.slice(0, 8))}).`;
    case 'no_changes': {
      const answer = (outcome.answer ?? '').trim();
      return answer === ''
        ? 'ℹ️ The agent finished without changing any files and without an answer.'
        : truncateText(answer, answerLimit);
    }
  }
}

function failedBody(outcome: Extract<RunOutcome, { kind: 'failed' }>): string {
  const step = steps[outcome.step];
  const code =
    outcome.exitCode === undefined || outcome.exitCode === null
      ? ''
      : ` (exit code ${outcome.exitCode})`;
  return [
    `❌ The run failed while ${step.doing}${code}.`,
    outcome.message ?? null,
    logDetails(outcome.logTail),
    outcome.hint ?? (outcome.message ? null : step.hint),
  ]
    .filter((part): part is string => part !== null && part !== '')
    .join('\n\n');
}

function outcomeBody(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case 'published':
      return publishedBody(outcome);
    case 'failed':
      return failedBody(outcome);
    case 'timed_out':
      return [
        `⏱️ The agent did not finish within ${formatDuration(outcome.limitMs)} and was stopped. Nothing was published.`,
        logDetails(outcome.logTail),
        'Ask again with a smaller task, or ask a maintainer to raise the time limit of the flow.',
      ]
        .filter((part): part is string => part !== null)
        .join('\n\n');
    case 'cancelled':
      return outcome.by
        ? `🛑 The run was cancelled by @${outcome.by}. Nothing was published.`
        : '🛑 The run was cancelled. Nothing was published.';
  }
}

/**
 * The one final note of a run, for every outcome, in GitLab markdown. Redacted and with quick
 * actions neutralised as a whole, since agent output and logs end up in it.
 */
export function finalNote(input: FinalNoteInput): FinalNote {
  const body = `${outcomeBody(input.outcome)}\n\n${footer(input)}`;
  const placement =
    input.outcome.kind === 'published' && input.outcome.result.kind === 'no_changes'
      ? 'reply'
      : 'edit';
  return { body: neutralizeQuickActions(redactSecrets(body, input.secrets)), placement };
}
