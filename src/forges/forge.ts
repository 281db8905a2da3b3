/**
 * The forge port: everything Baton asks of a forge (GitLab today). Adapters live in one folder
 * each (`forges/gitlab/`) and are created per connection, with that connection's token.
 */

export type NoteableAddress =
  | { type: 'issue'; projectId: number; iid: number }
  | { type: 'merge_request'; projectId: number; iid: number }
  | { type: 'epic'; groupId: number; epicId: number };

export interface ForgeAccount {
  id: number;
  username: string;
  name: string;
  /** Service accounts and project/group bots. */
  bot: boolean;
  /** The address the forge shows for commits, when it tells. */
  email: string | null;
}

export interface ForgeNote {
  id: number;
  body: string;
  author: { id: number; username: string; name: string };
  system: boolean;
  createdAt: string;
}

export interface ForgeProject {
  id: number;
  pathWithNamespace: string;
  name: string;
  namespacePath: string;
  defaultBranch: string | null;
  webUrl: string;
  httpUrlToRepo: string;
  visibility: string;
}

export interface ForgeIssue {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: string;
  labels: string[];
  author: { username: string; name: string };
  webUrl: string;
}

export interface ForgeMergeRequest extends ForgeIssue {
  sourceBranch: string;
  targetBranch: string;
  draft: boolean;
}

export interface NewMergeRequest {
  projectId: number;
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description: string;
  removeSourceBranch?: boolean;
}

export interface ForgeDiff {
  oldPath: string;
  newPath: string;
  diff: string;
  newFile: boolean;
  renamedFile: boolean;
  deletedFile: boolean;
}

export interface ForgeApi {
  /** The account the adapter's token belongs to. */
  currentAccount(): Promise<ForgeAccount>;
  getAccount(userId: number): Promise<ForgeAccount>;
  /** Effective (inherited included) access level of a user in a project; 0 when not a member. */
  projectAccessLevel(projectId: number, userId: number): Promise<number>;
  getProject(idOrPath: number | string): Promise<ForgeProject>;
  getIssue(projectId: number, iid: number): Promise<ForgeIssue>;
  getMergeRequest(projectId: number, iid: number): Promise<ForgeMergeRequest>;
  getMergeRequestDiffs(projectId: number, iid: number): Promise<ForgeDiff[]>;
  /** Oldest first, system notes included; with `latest`, only that many of the newest. */
  listNotes(noteable: NoteableAddress, options?: { latest?: number }): Promise<ForgeNote[]>;
  /** A new top-level comment; returns the note and the thread it opened. */
  createNote(
    noteable: NoteableAddress,
    body: string,
  ): Promise<{ id: number; discussionId: string }>;
  /** A reply in an existing thread. */
  replyToDiscussion(
    noteable: NoteableAddress,
    discussionId: string,
    body: string,
  ): Promise<{ id: number; discussionId: string }>;
  updateNote(noteable: NoteableAddress, noteId: number, body: string): Promise<void>;
  /** Opens a merge request; a duplicate for the same source branch is FORGE_REJECTED (409). */
  createMergeRequest(input: NewMergeRequest): Promise<ForgeMergeRequest>;
  /** Merge requests whose source is `sourceBranch` (open ones unless `state` says otherwise). */
  listMergeRequests(
    projectId: number,
    filter: { sourceBranch: string; state?: 'opened' | 'all' },
  ): Promise<ForgeMergeRequest[]>;
  /** A file's text at a ref; null when the file (or ref) does not exist. */
  readFile(projectId: number, filePath: string, ref: string): Promise<string | null>;
}
