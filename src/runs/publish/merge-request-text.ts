import { redactSecrets } from '../../secrets/redact.ts';
import { neutralizeQuickActions, truncateText } from './forge-markdown.ts';

export interface ChangeTextInput {
  /** The agent's own summary of what it did; untrusted text. */
  summary: string | null;
  /** Masked variable values; none of them may reach the forge. */
  secrets: readonly string[];
  noteable: { type: 'issue' | 'merge_request'; iid: number };
  runId: string;
  /** Username of the person who asked. */
  requestedBy?: string | null;
  /** Display name of the service account, for a title when the agent gave no summary. */
  agentName?: string | null;
}

/** GitLab's title limit. */
const titleLimit = 255;
/** Well under GitLab's 1,000,000-character description limit; long summaries help no one. */
const descriptionLimit = 50_000;

function reference(noteable: ChangeTextInput['noteable']): string {
  return `${noteable.type === 'issue' ? '#' : '!'}${noteable.iid}`;
}

function cleanSummary(input: ChangeTextInput): string {
  return redactSecrets(input.summary ?? '', input.secrets).trim();
}

/** The summary's first line without markdown heading or emphasis marks, else a made-up title. */
export function mergeRequestTitle(input: ChangeTextInput): string {
  const firstLine = cleanSummary(input)
    .split('\n')
    .map((line) =>
      line
        .replace(/^#+\s*/, '')
        .replace(/^[*_]+|[*_]+$/g, '')
        .trim(),
    )
    .find((line) => line !== '');
  const title =
    firstLine ?? `${input.agentName ?? 'Agent'}: changes for ${reference(input.noteable)}`;
  return title.length <= titleLimit ? title : `${title.slice(0, titleLimit - 1)}…`;
}

/**
 * The summary, then where the request came from. An issue is linked with "Relates to", not
 * "Closes": merging an agent's change should not close an issue no human has judged done, and
 * a closing pattern in a description also closes issues when merged into the default branch.
 */
export function mergeRequestDescription(input: ChangeTextInput): string {
  const summary = neutralizeQuickActions(truncateText(cleanSummary(input), descriptionLimit));
  const origin =
    input.noteable.type === 'issue'
      ? `Relates to ${reference(input.noteable)}.`
      : `Follow-up to ${reference(input.noteable)}.`;
  const requester = input.requestedBy ? ` Requested by @${input.requestedBy}.` : '';
  const trailer = `${origin}${requester} Baton run \`${input.runId}\`.`;
  return summary === '' ? trailer : `${summary}\n\n---\n\n${trailer}`;
}

/** One commit for the whole run: the title, the summary, and where it came from. */
export function commitMessage(input: ChangeTextInput): string {
  const title = mergeRequestTitle(input);
  const body = truncateText(cleanSummary(input), 10_000);
  const rest = body.startsWith(title) ? body.slice(title.length).trim() : body;
  const trailer = `${input.noteable.type === 'issue' ? 'Relates to' : 'Follow-up to'} ${reference(input.noteable)}\nBaton-Run: ${input.runId}`;
  return [title, rest, trailer].filter((part) => part !== '').join('\n\n') + '\n';
}
