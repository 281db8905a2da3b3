import type { ForgeAccount, ForgeApi, ForgeNote, ForgeProject } from '../forges/forge.ts';
import type { Noteable } from '../forges/forge-activity.ts';
import { sanitizeForgeText, type RemovalKind } from '../triggers/sanitize-forge-text.ts';
import type { TriggerEventType } from '../triggers/trigger-store.ts';

/** GitLab bounds the serialised noteable it gives a flow (`DEFAULT_CONTENT_LIMIT`). */
export const flowContextLimit = 100_000;

export interface FlowContextInput {
  api: ForgeApi;
  baseUrl: string;
  project: ForgeProject;
  noteable: Noteable;
  eventType: TriggerEventType;
  /** The triggering comment, for mentions. */
  comment: string | null;
  /** The thread of Baton's progress note, where the agent's answer goes. */
  discussionId: string;
  /** May still be on its way: the forge reads for the context do not wait for it. */
  serviceAccount: ForgeAccount | Promise<ForgeAccount>;
  requester: ForgeAccount | Promise<ForgeAccount>;
}

export interface FlowContext {
  /** The `AI_FLOW_*` and git identity variables GitLab gives a workload. */
  environment: Record<string, string>;
  /** The whole context, uncut, for a file in the workspace. */
  fullContext: string;
  truncated: boolean;
  /** What sanitising removed from forge text, summed over every field. */
  removed: Partial<Record<RemovalKind, number>>;
}

class Sanitizer {
  readonly removed: Partial<Record<RemovalKind, number>> = {};
  clean(text: string | null | undefined): string {
    if (!text) return '';
    const result = sanitizeForgeText(text);
    for (const { kind, count } of result.removed)
      this.removed[kind] = (this.removed[kind] ?? 0) + count;
    return result.text;
  }
}

/** `host` plus `:port` unless it is the scheme's default, as `AI_FLOW_GITLAB_HOSTNAME`. */
export function gitLabHostname(baseUrl: string): string {
  return new URL(baseUrl).host;
}

/** GitLab's no-reply commit address for an account without a public one. */
function commitEmail(account: ForgeAccount, baseUrl: string): string {
  return (
    account.email ?? `${account.id}-${account.username}@users.noreply.${new URL(baseUrl).hostname}`
  );
}

function comments(notes: ForgeNote[], sanitizer: Sanitizer) {
  return notes
    .filter((n) => !n.system)
    .map((n) => ({
      author: n.author.username,
      created_at: n.createdAt,
      body: sanitizer.clean(n.body),
    }));
}

async function readNoteable(
  input: FlowContextInput,
  sanitizer: Sanitizer,
): Promise<Record<string, unknown>> {
  const { api, noteable } = input;
  const address = {
    type: noteable.type,
    projectId: noteable.projectId,
    iid: noteable.iid,
  } as const;
  // The context is cut to 100,000 characters anyway: a few hundred newest notes are plenty,
  // and a thread with thousands must not cost thousands of reads per mention.
  const listed = api.listNotes(address, { latest: 300 });
  if (noteable.type === 'issue') {
    const [issue, notes] = await Promise.all([
      api.getIssue(noteable.projectId, noteable.iid),
      listed.then((found) => comments(found, sanitizer)),
    ]);
    return {
      type: 'issue',
      iid: issue.iid,
      title: sanitizer.clean(issue.title),
      description: sanitizer.clean(issue.description),
      state: issue.state,
      labels: issue.labels,
      author: issue.author.username,
      web_url: issue.webUrl,
      comments: notes,
    };
  }
  const [mr, diffs, notes] = await Promise.all([
    api.getMergeRequest(noteable.projectId, noteable.iid),
    api.getMergeRequestDiffs(noteable.projectId, noteable.iid),
    listed.then((found) => comments(found, sanitizer)),
  ]);
  return {
    type: 'merge_request',
    iid: mr.iid,
    title: sanitizer.clean(mr.title),
    description: sanitizer.clean(mr.description),
    state: mr.state,
    draft: mr.draft,
    source_branch: mr.sourceBranch,
    target_branch: mr.targetBranch,
    labels: mr.labels,
    author: mr.author.username,
    web_url: mr.webUrl,
    comments: notes,
    diffs: diffs.map((d) => ({
      old_path: d.oldPath,
      new_path: d.newPath,
      new_file: d.newFile,
      renamed_file: d.renamedFile,
      deleted_file: d.deletedFile,
      diff: sanitizer.clean(d.diff),
    })),
  };
}

/**
 * Cuts the context to `limit` characters of JSON the way a reader loses least: the oldest
 * comments go first, then diffs from the end, then the description is shortened. The cut
 * context says so (`truncated`), and the full one is kept for the workspace file.
 */
export function boundContext(
  context: Record<string, unknown>,
  limit = flowContextLimit,
): { json: string; truncated: boolean } {
  let json = JSON.stringify(context);
  if (json.length <= limit) return { json, truncated: false };
  const cut: Record<string, unknown> = { ...context, truncated: true };
  const notes = Array.isArray(cut.comments) ? [...(cut.comments as unknown[])] : [];
  const diffs = Array.isArray(cut.diffs) ? [...(cut.diffs as unknown[])] : [];
  const size = () =>
    JSON.stringify({ ...cut, comments: notes, diffs: cut.diffs === undefined ? undefined : diffs })
      .length;
  while (notes.length > 0 && size() > limit) notes.shift();
  while (diffs.length > 0 && size() > limit) diffs.pop();
  cut.comments = notes;
  if (cut.diffs !== undefined) cut.diffs = diffs;
  json = JSON.stringify(cut);
  if (json.length > limit && typeof cut.description === 'string') {
    const over = json.length - limit;
    cut.description = `${cut.description.slice(0, Math.max(0, cut.description.length - over - 20))}…`;
    json = JSON.stringify(cut);
  }
  return { json, truncated: true };
}

/** The environment GitLab gives a flow's workload, computed from the forge. */
export async function buildFlowContext(input: FlowContextInput): Promise<FlowContext> {
  const sanitizer = new Sanitizer();
  const [context, serviceAccount, requester] = await Promise.all([
    readNoteable(input, sanitizer),
    input.serviceAccount,
    input.requester,
  ]);
  const fullContext = JSON.stringify(context);
  const { json, truncated } = boundContext(context);
  const flowInput =
    input.eventType === 'mention' ? sanitizer.clean(input.comment) : String(input.noteable.iid);
  return {
    environment: {
      AI_FLOW_CONTEXT: json,
      AI_FLOW_INPUT: flowInput,
      AI_FLOW_EVENT: input.eventType,
      AI_FLOW_DISCUSSION_ID: input.discussionId,
      AI_FLOW_PROJECT_PATH: input.project.pathWithNamespace,
      AI_FLOW_GITLAB_HOSTNAME: gitLabHostname(input.baseUrl),
      GIT_AUTHOR_NAME: serviceAccount.name,
      GIT_AUTHOR_EMAIL: commitEmail(serviceAccount, input.baseUrl),
      GIT_COMMITTER_NAME: requester.name,
      GIT_COMMITTER_EMAIL: commitEmail(requester, input.baseUrl),
    },
    fullContext,
    truncated,
    removed: sanitizer.removed,
  };
}
