import type { CommitInfo } from '../git/repository-store.ts';

/** The in-memory records behind the development forge. Times are epoch milliseconds. */

export type Visibility = 'public' | 'internal' | 'private';

export interface User {
  id: number;
  username: string;
  name: string;
  email: string;
  publicEmail: string | null;
  bot: boolean;
  admin: boolean;
  /** Group service accounts belong to the top-level group that created them. */
  provisionedByGroupId: number | null;
  state: 'active' | 'blocked';
  createdAt: number;
}

export interface AccessToken {
  id: number;
  userId: number;
  name: string;
  token: string;
  scopes: string[];
  revoked: boolean;
  description: string | null;
  createdAt: number;
  expiresAt: string | null;
  lastUsedAt: number | null;
}

export interface Group {
  id: number;
  name: string;
  path: string;
  fullPath: string;
  parentId: number | null;
  description: string;
  visibility: Visibility;
  createdAt: number;
}

export interface Project {
  id: number;
  name: string;
  path: string;
  namespaceId: number;
  pathWithNamespace: string;
  description: string;
  defaultBranch: string;
  visibility: Visibility;
  createdAt: number;
  lastActivityAt: number;
  creatorId: number;
}

export interface Membership {
  sourceType: 'Project' | 'Namespace';
  sourceId: number;
  userId: number;
  accessLevel: number;
  createdAt: number;
  createdById: number | null;
  expiresAt: string | null;
}

export interface Issue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  authorId: number;
  assigneeIds: number[];
  labels: string[];
  confidential: boolean;
  discussionLocked: boolean | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedById: number | null;
  updatedById: number | null;
}

export interface MergeRequestVersion {
  id: number;
  headCommitSha: string;
  baseCommitSha: string;
  startCommitSha: string;
  createdAt: number;
  realSize: string;
  /** Snapshot for `last_commit` in hook bodies, so building a hook body needs no git call. */
  headCommit: CommitInfo;
}

export interface MergeRequest {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  authorId: number;
  assigneeIds: number[];
  reviewerIds: number[];
  labels: string[];
  sourceBranch: string;
  targetBranch: string;
  removeSourceBranch: boolean;
  squash: boolean;
  draft: boolean;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  mergedAt: number | null;
  updatedById: number | null;
  /** Newest last. */
  versions: MergeRequestVersion[];
}

export interface Epic {
  id: number;
  iid: number;
  groupId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  authorId: number;
  labels: string[];
  confidential: boolean;
  createdAt: number;
  updatedAt: number;
}

export type NoteableType = 'Issue' | 'MergeRequest' | 'Epic';

export interface DiffPosition {
  base_sha: string;
  start_sha: string;
  head_sha: string;
  position_type: string;
  old_path: string | null;
  new_path: string | null;
  old_line: number | null;
  new_line: number | null;
  line_range: unknown;
}

export interface Note {
  id: number;
  discussionId: string;
  type: null | 'DiscussionNote' | 'DiffNote';
  body: string;
  authorId: number;
  noteableType: NoteableType;
  noteableId: number;
  noteableIid: number;
  projectId: number | null;
  internal: boolean;
  system: boolean;
  position: DiffPosition | null;
  commitId: string | null;
  resolvable: boolean;
  resolvedById: number | null;
  resolvedAt: number | null;
  createdAt: number;
  updatedAt: number;
  updatedById: number | null;
}

export interface Discussion {
  id: string;
  noteableType: NoteableType;
  noteableId: number;
  individualNote: boolean;
  noteIds: number[];
}

export interface AwardEmoji {
  id: number;
  name: string;
  userId: number;
  awardableType: 'Note' | 'Issue' | 'MergeRequest';
  awardableId: number;
  createdAt: number;
  updatedAt: number;
}

export interface CiVariable {
  projectId: number;
  key: string;
  value: string;
  variableType: 'env_var' | 'file';
  masked: boolean;
  hidden: boolean;
  protected: boolean;
  raw: boolean;
  environmentScope: string;
  description: string | null;
}

export interface ProtectedBranch {
  id: number;
  projectId: number;
  name: string;
  pushAccessLevel: number;
  mergeAccessLevel: number;
  unprotectAccessLevel: number;
  allowForcePush: boolean;
  codeOwnerApprovalRequired: boolean;
}

export const hookEventFlags = [
  'push_events',
  'tag_push_events',
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'confidential_note_events',
  'merge_requests_events',
  'emoji_events',
  'pipeline_events',
  'job_events',
  'wiki_page_events',
  'deployment_events',
  'releases_events',
] as const;

export type HookEventFlag = (typeof hookEventFlags)[number];

export interface Hook {
  id: number;
  scope: { kind: 'project'; projectId: number } | { kind: 'group'; groupId: number };
  url: string;
  token: string | null;
  name: string | null;
  description: string | null;
  events: Record<HookEventFlag, boolean>;
  pushEventsBranchFilter: string | null;
  enableSslVerification: boolean;
  createdAt: number;
}

/** One delivery attempt, as GitLab's "recent events" log keeps it. */
export interface HookDelivery {
  id: number;
  hookId: number;
  trigger: string;
  url: string;
  idempotencyKey: string;
  eventUuid: string;
  webhookUuid: string;
  requestHeaders: Record<string, string>;
  requestData: unknown;
  responseStatus: string;
  responseHeaders: Record<string, string>;
  responseBody: string;
  executionDuration: number;
  createdAt: number;
}
