import type { z } from 'zod';
import type { ForgeActivity, ForgeUser, Noteable, WebhookReading } from '../forge-activity.ts';
import {
  handledEvents,
  type HookUser,
  type IssueHook,
  type MergeRequestHook,
  type NoteHook,
} from './webhook-schema.ts';

function describe(error: z.ZodError): string[] {
  return error.issues.slice(0, 10).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    return `${where}: ${issue.message}`;
  });
}

function user(hook: HookUser): ForgeUser {
  return { id: hook.id, username: hook.username, name: hook.name };
}

/** Users present in `current` and absent from `previous`. */
function newlyAdded(
  delta: { previous?: HookUser[] | null; current?: HookUser[] | null } | undefined,
): ForgeUser[] {
  if (!delta) return [];
  const before = new Set((delta.previous ?? []).map((u) => u.id));
  return (delta.current ?? []).filter((u) => !before.has(u.id)).map(user);
}

function readNote(body: NoteHook): WebhookReading {
  const note = body.object_attributes;
  if (note.system === true) return { outcome: 'ignored', reason: 'system note' };
  if (note.noteable_type === 'Epic') {
    // GitLab documents no comment webhook for group epics; see docs/architecture.md#epics.
    return { outcome: 'ignored', reason: 'comment on an epic (GitLab sends no webhook for these)' };
  }
  if (!body.project) return { outcome: 'ignored', reason: 'note without a project' };
  const project = { projectId: body.project.id, projectPath: body.project.path_with_namespace };
  let noteable: Noteable;
  if (note.noteable_type === 'Issue' && body.issue) {
    noteable = { type: 'issue', ...project, id: body.issue.id, iid: body.issue.iid };
  } else if (note.noteable_type === 'MergeRequest' && body.merge_request) {
    const mr = body.merge_request;
    noteable = {
      type: 'merge_request',
      ...project,
      id: mr.id,
      iid: mr.iid,
      sourceBranch: mr.source_branch ?? null,
      targetBranch: mr.target_branch ?? null,
    };
  } else {
    return { outcome: 'ignored', reason: `comment on a ${note.noteable_type}` };
  }
  return {
    outcome: 'activities',
    activities: [
      {
        kind: 'comment',
        // Before GitLab 16.11 only creations fired, without an action field.
        action: note.action ?? 'create',
        actor: user(body.user),
        noteable,
        noteId: note.id,
        body: note.note,
        discussionId: note.discussion_id ?? null,
        internal: note.internal === true || body.event_type === 'confidential_note',
      },
    ],
  };
}

function addedOnOpen(
  ids: number[] | null | undefined,
  users: { id?: number | undefined; username: string; name: string }[] | null | undefined,
): ForgeUser[] {
  const wanted = new Set(ids ?? []);
  return (users ?? []).flatMap((u) =>
    u.id !== undefined && wanted.has(u.id)
      ? [{ id: u.id, username: u.username, name: u.name }]
      : [],
  );
}

function readIssue(body: IssueHook): WebhookReading {
  const issue = body.object_attributes;
  if (body.object_kind !== 'issue' || (issue.type !== undefined && issue.type !== 'Issue')) {
    return { outcome: 'ignored', reason: `work item of type ${issue.type ?? body.object_kind}` };
  }
  if (!body.project) return { outcome: 'ignored', reason: 'issue without a project' };
  const added =
    issue.action === 'open'
      ? addedOnOpen(issue.assignee_ids, body.assignees)
      : newlyAdded(body.changes?.assignees);
  if (added.length === 0) return { outcome: 'ignored', reason: 'no assignee added' };
  const noteable: Noteable = {
    type: 'issue',
    projectId: body.project.id,
    projectPath: body.project.path_with_namespace,
    id: issue.id,
    iid: issue.iid,
  };
  return {
    outcome: 'activities',
    activities: [{ kind: 'assigned', actor: user(body.user), noteable, added }],
  };
}

function readMergeRequest(body: MergeRequestHook): WebhookReading {
  const mr = body.object_attributes;
  const noteable: Noteable = {
    type: 'merge_request',
    projectId: body.project.id,
    projectPath: body.project.path_with_namespace,
    id: mr.id,
    iid: mr.iid,
    sourceBranch: mr.source_branch,
    targetBranch: mr.target_branch,
  };
  const opened = mr.action === 'open';
  const actor = user(body.user);
  const activities: ForgeActivity[] = [];
  const reviewers = opened
    ? addedOnOpen(mr.reviewer_ids, body.reviewers)
    : newlyAdded(body.changes?.reviewers);
  if (reviewers.length > 0) {
    activities.push({ kind: 'review_requested', actor, noteable, added: reviewers });
  }
  const assignees = opened
    ? addedOnOpen(mr.assignee_ids, body.assignees)
    : newlyAdded(body.changes?.assignees);
  if (assignees.length > 0)
    activities.push({ kind: 'assigned', actor, noteable, added: assignees });
  const [first, ...rest] = activities;
  return first
    ? { outcome: 'activities', activities: [first, ...rest] }
    : { outcome: 'ignored', reason: 'no reviewer or assignee added' };
}

/**
 * Reads one GitLab webhook delivery. `event` is the `X-Gitlab-Event` header; `body` is the
 * already-JSON-parsed body (untrusted).
 */
export function readGitLabWebhook(event: string | undefined, body: unknown): WebhookReading {
  if (event === undefined)
    return { outcome: 'invalid', problems: ['X-Gitlab-Event header is missing'] };
  if (!(event in handledEvents)) return { outcome: 'ignored', reason: `event ${event}` };
  switch (event) {
    case 'Note Hook':
    case 'Confidential Note Hook': {
      const parsed = handledEvents[event].safeParse(body);
      return parsed.success
        ? readNote(parsed.data)
        : { outcome: 'invalid', problems: describe(parsed.error) };
    }
    case 'Issue Hook':
    case 'Confidential Issue Hook': {
      const parsed = handledEvents[event].safeParse(body);
      return parsed.success
        ? readIssue(parsed.data)
        : { outcome: 'invalid', problems: describe(parsed.error) };
    }
    default: {
      const parsed = handledEvents['Merge Request Hook'].safeParse(body);
      return parsed.success
        ? readMergeRequest(parsed.data)
        : { outcome: 'invalid', problems: describe(parsed.error) };
    }
  }
}
