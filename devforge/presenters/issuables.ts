import type { ForgeUrls } from '../forge-urls.ts';
import type { ForgeState } from '../state/forge-state.ts';
import type { Epic, Issue, MergeRequest, Project, User } from '../state/types.ts';
import { isoTime, isoTimeOrNull } from './time.ts';
import { userBasic } from './users.ts';

function usersOf(state: ForgeState, ids: readonly number[]): User[] {
  return ids.flatMap((id) => {
    const user = state.users.get(id);
    return user === undefined ? [] : [user];
  });
}

function userNotesCount(
  state: ForgeState,
  type: 'Issue' | 'MergeRequest' | 'Epic',
  id: number,
): number {
  let count = 0;
  for (const note of state.notes.values()) {
    if (note.noteableType === type && note.noteableId === id && !note.system) count += 1;
  }
  return count;
}

export function issueUrl(urls: ForgeUrls, project: Project, issue: Issue): string {
  return urls.web(`${project.pathWithNamespace}/-/issues/${issue.iid}`);
}

export function mergeRequestUrl(urls: ForgeUrls, project: Project, mr: MergeRequest): string {
  return urls.web(`${project.pathWithNamespace}/-/merge_requests/${mr.iid}`);
}

export function issueEntity(urls: ForgeUrls, state: ForgeState, project: Project, issue: Issue) {
  const author = state.users.get(issue.authorId);
  const assignees = usersOf(state, issue.assigneeIds).map((u) => userBasic(urls, u));
  const closedBy = issue.closedById === null ? undefined : state.users.get(issue.closedById);
  return {
    id: issue.id,
    iid: issue.iid,
    project_id: project.id,
    title: issue.title,
    description: issue.description,
    state: issue.state,
    created_at: isoTime(issue.createdAt),
    updated_at: isoTime(issue.updatedAt),
    closed_at: isoTimeOrNull(issue.closedAt),
    closed_by: closedBy === undefined ? null : userBasic(urls, closedBy),
    labels: issue.labels,
    milestone: null,
    assignees,
    author: author === undefined ? null : userBasic(urls, author),
    type: 'ISSUE',
    assignee: assignees[0] ?? null,
    user_notes_count: userNotesCount(state, 'Issue', issue.id),
    merge_requests_count: 0,
    upvotes: 0,
    downvotes: 0,
    due_date: null,
    confidential: issue.confidential,
    discussion_locked: issue.discussionLocked,
    issue_type: 'issue',
    web_url: issueUrl(urls, project, issue),
    time_stats: {
      time_estimate: 0,
      total_time_spent: 0,
      human_time_estimate: null,
      human_total_time_spent: null,
    },
    task_completion_status: { count: 0, completed_count: 0 },
    has_tasks: false,
    _links: {
      self: urls.api(`projects/${project.id}/issues/${issue.iid}`),
      notes: urls.api(`projects/${project.id}/issues/${issue.iid}/notes`),
      award_emoji: urls.api(`projects/${project.id}/issues/${issue.iid}/award_emoji`),
      project: urls.api(`projects/${project.id}`),
      closed_as_duplicate_of: null,
    },
    references: {
      short: `#${issue.iid}`,
      relative: `#${issue.iid}`,
      full: `${project.pathWithNamespace}#${issue.iid}`,
    },
    severity: 'UNKNOWN',
    moved_to_id: null,
    service_desk_reply_to: null,
  };
}

export function mergeRequestEntity(
  urls: ForgeUrls,
  state: ForgeState,
  project: Project,
  mr: MergeRequest,
) {
  const author = state.users.get(mr.authorId);
  const assignees = usersOf(state, mr.assigneeIds).map((u) => userBasic(urls, u));
  const reviewers = usersOf(state, mr.reviewerIds).map((u) => userBasic(urls, u));
  const version = mr.versions.at(-1);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: project.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: isoTime(mr.createdAt),
    updated_at: isoTime(mr.updatedAt),
    merged_by: null,
    merge_user: null,
    merged_at: isoTimeOrNull(mr.mergedAt),
    closed_by: null,
    closed_at: isoTimeOrNull(mr.closedAt),
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: userNotesCount(state, 'MergeRequest', mr.id),
    upvotes: 0,
    downvotes: 0,
    author: author === undefined ? null : userBasic(urls, author),
    assignees,
    assignee: assignees[0] ?? null,
    reviewers,
    source_project_id: project.id,
    target_project_id: project.id,
    labels: mr.labels,
    draft: mr.draft,
    work_in_progress: mr.draft,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: version === undefined ? 'unchecked' : 'can_be_merged',
    detailed_merge_status: version === undefined ? 'checking' : 'mergeable',
    sha: version?.headCommitSha ?? null,
    merge_commit_sha: null,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: mr.removeSourceBranch,
    prepared_at: isoTime(mr.createdAt),
    reference: `!${mr.iid}`,
    references: {
      short: `!${mr.iid}`,
      relative: `!${mr.iid}`,
      full: `${project.pathWithNamespace}!${mr.iid}`,
    },
    web_url: mergeRequestUrl(urls, project, mr),
    time_stats: {
      time_estimate: 0,
      total_time_spent: 0,
      human_time_estimate: null,
      human_total_time_spent: null,
    },
    squash: mr.squash,
    squash_on_merge: mr.squash,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: false,
    blocking_discussions_resolved: true,
    subscribed: true,
    changes_count: version === undefined ? null : version.realSize,
    diff_refs:
      version === undefined
        ? null
        : {
            base_sha: version.baseCommitSha,
            head_sha: version.headCommitSha,
            start_sha: version.startCommitSha,
          },
    first_contribution: false,
    user: { can_merge: true },
  };
}

export function epicUrl(urls: ForgeUrls, groupPath: string, epic: Epic): string {
  return urls.web(`groups/${groupPath}/-/epics/${epic.iid}`);
}

export function epicEntity(urls: ForgeUrls, state: ForgeState, epic: Epic) {
  const group = state.groups.get(epic.groupId);
  const author = state.users.get(epic.authorId);
  const groupPath = group?.fullPath ?? '';
  return {
    id: epic.id,
    iid: epic.iid,
    group_id: epic.groupId,
    parent_id: null,
    title: epic.title,
    description: epic.description,
    state: epic.state,
    confidential: epic.confidential,
    web_url: epicUrl(urls, groupPath, epic),
    reference: `&${epic.iid}`,
    references: {
      short: `&${epic.iid}`,
      relative: `&${epic.iid}`,
      full: `${groupPath}&${epic.iid}`,
    },
    author: author === undefined ? null : userBasic(urls, author),
    start_date: null,
    due_date: null,
    created_at: isoTime(epic.createdAt),
    updated_at: isoTime(epic.updatedAt),
    closed_at: null,
    labels: epic.labels,
    upvotes: 0,
    downvotes: 0,
    color: '#1068bf',
    _links: {
      self: urls.api(`groups/${epic.groupId}/epics/${epic.id}`),
      epic_issues: urls.api(`groups/${epic.groupId}/epics/${epic.id}/issues`),
      group: urls.api(`groups/${epic.groupId}`),
      parent: null,
    },
  };
}
