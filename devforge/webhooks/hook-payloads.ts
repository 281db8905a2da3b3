import type { ForgeUrls } from '../forge-urls.ts';
import { epicUrl, issueUrl, mergeRequestUrl } from '../presenters/issuables.ts';
import { hookProject, hookRepository } from '../presenters/projects.ts';
import { hookTime, hookTimeOrNull } from '../presenters/time.ts';
import { hookUser } from '../presenters/users.ts';
import type { ForgeState } from '../state/forge-state.ts';
import type { Epic, Issue, MergeRequest, Note, Project, User } from '../state/types.ts';

/** Field sets follow GitLab's `hook_attrs` builders (Issue, MergeRequest, Note), trimmed to what a forge without CI, milestones or time tracking can fill truthfully. */

function hookUsers(urls: ForgeUrls, state: ForgeState, ids: readonly number[]) {
  return ids.flatMap((id) => {
    const user = state.users.get(id);
    return user === undefined ? [] : [hookUser(urls, user)];
  });
}

function hookLabels(labels: readonly string[], projectId: number | null, createdAt: number) {
  return labels.map((title, index) => ({
    id: index + 1,
    title,
    color: '#6699cc',
    project_id: projectId,
    created_at: hookTime(createdAt),
    updated_at: hookTime(createdAt),
    template: false,
    description: null,
    type: projectId === null ? 'GroupLabel' : 'ProjectLabel',
    group_id: null,
  }));
}

export function issueHookAttrs(urls: ForgeUrls, project: Project, issue: Issue) {
  return {
    author_id: issue.authorId,
    closed_at: hookTimeOrNull(issue.closedAt),
    confidential: issue.confidential,
    created_at: hookTime(issue.createdAt),
    description: issue.description,
    discussion_locked: issue.discussionLocked,
    due_date: null,
    id: issue.id,
    iid: issue.iid,
    last_edited_at: null,
    last_edited_by_id: null,
    milestone_id: null,
    moved_to_id: null,
    duplicated_to_id: null,
    project_id: project.id,
    relative_position: 0,
    state_id: issue.state === 'opened' ? 1 : 2,
    time_estimate: 0,
    title: issue.title,
    updated_at: hookTime(issue.updatedAt),
    updated_by_id: issue.updatedById,
    type: 'Issue',
    url: issueUrl(urls, project, issue),
    total_time_spent: 0,
    time_change: 0,
    human_total_time_spent: null,
    human_time_change: null,
    human_time_estimate: null,
    assignee_ids: issue.assigneeIds,
    assignee_id: issue.assigneeIds[0] ?? null,
    labels: hookLabels(issue.labels, project.id, issue.createdAt),
    state: issue.state,
    severity: 'unknown',
  };
}

export function mergeRequestHookAttrs(urls: ForgeUrls, project: Project, mr: MergeRequest) {
  const head = mr.versions.at(-1)?.headCommit;
  return {
    assignee_id: mr.assigneeIds[0] ?? null,
    author_id: mr.authorId,
    created_at: hookTime(mr.createdAt),
    description: mr.description,
    draft: mr.draft,
    head_pipeline_id: null,
    id: mr.id,
    iid: mr.iid,
    last_edited_at: null,
    last_edited_by_id: null,
    merge_commit_sha: null,
    merge_error: null,
    merge_params: { force_remove_source_branch: mr.removeSourceBranch ? '1' : '0' },
    merge_status: head === undefined ? 'unchecked' : 'can_be_merged',
    merge_user_id: null,
    merge_when_pipeline_succeeds: false,
    milestone_id: null,
    source_branch: mr.sourceBranch,
    source_project_id: project.id,
    state_id: { opened: 1, closed: 2, merged: 3, locked: 4 }[mr.state],
    target_branch: mr.targetBranch,
    target_project_id: project.id,
    time_estimate: 0,
    title: mr.title,
    updated_at: hookTime(mr.updatedAt),
    updated_by_id: mr.updatedById,
    prepared_at: hookTime(mr.createdAt),
    assignee_ids: mr.assigneeIds,
    blocking_discussions_resolved: true,
    detailed_merge_status: head === undefined ? 'checking' : 'mergeable',
    first_contribution: false,
    human_time_change: null,
    human_time_estimate: null,
    human_total_time_spent: null,
    labels: hookLabels(mr.labels, project.id, mr.createdAt),
    last_commit:
      head === undefined
        ? null
        : {
            id: head.id,
            message: head.message,
            title: head.title,
            timestamp: head.authoredDate,
            url: urls.web(`${project.pathWithNamespace}/-/commit/${head.id}`),
            author: { name: head.authorName, email: head.authorEmail },
          },
    reviewer_ids: mr.reviewerIds,
    source: hookProject(urls, project),
    state: mr.state,
    target: hookProject(urls, project),
    time_change: 0,
    total_time_spent: 0,
    url: mergeRequestUrl(urls, project, mr),
    work_in_progress: mr.draft,
  };
}

function noteAttrs(urls: ForgeUrls, note: Note, url: string, action: 'create' | 'update') {
  return {
    attachment: null,
    author_id: note.authorId,
    change_position: null,
    commit_id: note.commitId ?? '',
    created_at: hookTime(note.createdAt),
    discussion_id: note.discussionId,
    id: note.id,
    line_code: null,
    note: note.body,
    noteable_id: note.noteableId,
    noteable_type: note.noteableType,
    original_position: note.position,
    position: note.position,
    project_id: note.projectId,
    resolved_at: hookTimeOrNull(note.resolvedAt),
    resolved_by_id: note.resolvedById,
    resolved_by_push: null,
    st_diff: null,
    system: note.system,
    type: note.type,
    updated_at: hookTime(note.updatedAt),
    updated_by_id: note.updatedById,
    description: note.body,
    internal: note.internal,
    url,
    action,
  };
}

export interface NoteHookSubject {
  project: Project | null;
  issue?: Issue;
  mergeRequest?: MergeRequest;
  epic?: Epic;
  groupPath?: string;
}

/** Note Hook body for issue, MR and (forge extension, see readme) epic notes. */
export function noteHookPayload(
  urls: ForgeUrls,
  state: ForgeState,
  actor: User,
  note: Note,
  subject: NoteHookSubject,
  action: 'create' | 'update',
) {
  const { project, issue, mergeRequest, epic } = subject;
  let noteableUrl = '';
  if (project !== null && issue !== undefined) noteableUrl = issueUrl(urls, project, issue);
  if (project !== null && mergeRequest !== undefined)
    noteableUrl = mergeRequestUrl(urls, project, mergeRequest);
  if (epic !== undefined) noteableUrl = epicUrl(urls, subject.groupPath ?? '', epic);
  const confidential = note.internal || issue?.confidential === true;
  const payload: Record<string, unknown> = {
    object_kind: 'note',
    event_type: confidential ? 'confidential_note' : 'note',
    user: hookUser(urls, actor),
    project_id: project?.id ?? null,
    project: project === null ? null : hookProject(urls, project),
    object_attributes: noteAttrs(urls, note, `${noteableUrl}#note_${note.id}`, action),
    repository: project === null ? null : hookRepository(urls, project),
  };
  if (project !== null && issue !== undefined) {
    payload.issue = issueHookAttrs(urls, project, issue);
  }
  if (project !== null && mergeRequest !== undefined) {
    payload.merge_request = mergeRequestHookAttrs(urls, project, mergeRequest);
  }
  if (epic !== undefined) {
    payload.epic = {
      id: epic.id,
      iid: epic.iid,
      group_id: epic.groupId,
      title: epic.title,
      description: epic.description,
      state: epic.state,
      author_id: epic.authorId,
      created_at: hookTime(epic.createdAt),
      updated_at: hookTime(epic.updatedAt),
      url: noteableUrl,
    };
    payload.group = { group_id: epic.groupId, group_path: subject.groupPath ?? '' };
  }
  return { payload, confidential };
}

export type Changes = Record<string, { previous: unknown; current: unknown }>;

export function issueHookPayload(
  urls: ForgeUrls,
  state: ForgeState,
  actor: User,
  project: Project,
  issue: Issue,
  action: 'open' | 'close' | 'reopen' | 'update',
  changes: Changes,
) {
  return {
    object_kind: 'issue',
    event_type: issue.confidential ? 'confidential_issue' : 'issue',
    user: hookUser(urls, actor),
    project: hookProject(urls, project),
    object_attributes: { ...issueHookAttrs(urls, project, issue), action },
    labels: hookLabels(issue.labels, project.id, issue.createdAt),
    changes,
    repository: hookRepository(urls, project),
    assignees: hookUsers(urls, state, issue.assigneeIds),
  };
}

export function mergeRequestHookPayload(
  urls: ForgeUrls,
  state: ForgeState,
  actor: User,
  project: Project,
  mr: MergeRequest,
  action: 'open' | 'close' | 'reopen' | 'update' | 'merge',
  changes: Changes,
) {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: hookUser(urls, actor),
    project: hookProject(urls, project),
    object_attributes: { ...mergeRequestHookAttrs(urls, project, mr), action },
    labels: hookLabels(mr.labels, project.id, mr.createdAt),
    changes,
    repository: hookRepository(urls, project),
    assignees: hookUsers(urls, state, mr.assigneeIds),
    reviewers: hookUsers(urls, state, mr.reviewerIds),
  };
}

export function hookUsersFor(urls: ForgeUrls, state: ForgeState, ids: readonly number[]) {
  return hookUsers(urls, state, ids);
}
