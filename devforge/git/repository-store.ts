/**
 * The seam between the development forge's REST API and its git repositories.
 *
 * The REST routes (branches, files, tree, commits, MR diffs) call a RepositoryStore; the git
 * smart HTTP routes call back into the forge through GitHttpAccess. Both are implemented with
 * the real `git` binary over bare repositories on disk (`<reposDir>/<path_with_namespace>.git`).
 */

export interface GitIdentity {
  name: string;
  email: string;
}

export interface CommitInfo {
  id: string;
  shortId: string;
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  /** ISO 8601 */
  authoredDate: string;
  committerName: string;
  committerEmail: string;
  /** ISO 8601 */
  committedDate: string;
  parentIds: string[];
}

export interface BranchInfo {
  name: string;
  commit: CommitInfo;
}

export interface TreeEntry {
  id: string;
  name: string;
  type: 'tree' | 'blob';
  path: string;
  mode: string;
}

export interface FileBlob {
  fileName: string;
  filePath: string;
  size: number;
  content: Buffer;
  blobId: string;
  /** The commit `ref` resolved to. */
  commitId: string;
  /** The last commit that touched this file at `ref`. */
  lastCommitId: string;
  executeFilemode: boolean;
}

export interface FileDiff {
  oldPath: string;
  newPath: string;
  aMode: string;
  bMode: string;
  /** Unified diff hunks without the `diff --git`/`---`/`+++` header lines, as GitLab returns them. */
  diff: string;
  newFile: boolean;
  renamedFile: boolean;
  deletedFile: boolean;
}

export type CommitAction =
  | { action: 'create' | 'update'; filePath: string; content: Buffer; executeFilemode?: boolean }
  | { action: 'delete'; filePath: string }
  | { action: 'move'; filePath: string; previousPath: string; content?: Buffer }
  | { action: 'chmod'; filePath: string; executeFilemode: boolean };

export interface RefUpdate {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** 40 zeros when the ref was created. */
  oldSha: string;
  /** 40 zeros when the ref was deleted. */
  newSha: string;
}

export interface RepositoryStore {
  /** Creates a bare repository, optionally with an initial commit of `files` on `defaultBranch`. */
  create(
    projectPath: string,
    options: { defaultBranch: string; files?: Record<string, string>; author: GitIdentity },
  ): Promise<void>;
  remove(projectPath: string): Promise<void>;
  exists(projectPath: string): Promise<boolean>;
  /** Absolute path of the bare repository (for tests and the smart HTTP backend). */
  pathOf(projectPath: string): string;
  listBranches(projectPath: string): Promise<BranchInfo[]>;
  /** A branch name, tag, or SHA to a full commit SHA; null when it does not resolve. */
  resolveCommit(projectPath: string, ref: string): Promise<string | null>;
  /** Throws RepositoryError('branch_exists' | 'ref_not_found'). */
  createBranch(projectPath: string, name: string, ref: string): Promise<BranchInfo>;
  /** Throws RepositoryError('branch_not_found'). */
  deleteBranch(projectPath: string, name: string): Promise<void>;
  getCommit(projectPath: string, ref: string): Promise<CommitInfo | null>;
  readFile(projectPath: string, ref: string, filePath: string): Promise<FileBlob | null>;
  /** Throws RepositoryError('ref_not_found' | 'path_not_found'). */
  listTree(
    projectPath: string,
    ref: string,
    options: { path?: string; recursive?: boolean },
  ): Promise<TreeEntry[]>;
  /**
   * Commits `actions` on `branch` (created from `startBranch`/`startSha` when it does not exist).
   * Throws RepositoryError('branch_not_found' | 'file_exists' | 'file_not_found' | 'ref_not_found').
   */
  commit(
    projectPath: string,
    options: {
      branch: string;
      startBranch?: string;
      startSha?: string;
      message: string;
      actions: CommitAction[];
      author: GitIdentity;
      committer?: GitIdentity;
    },
  ): Promise<{ commit: CommitInfo; update: RefUpdate }>;
  /** Diff of `headSha` against the merge base of `baseRef` and `headSha`, per file. */
  diff(projectPath: string, baseRef: string, headRef: string): Promise<FileDiff[]>;
  mergeBase(projectPath: string, a: string, b: string): Promise<string | null>;
}

export type RepositoryErrorCode =
  | 'branch_exists'
  | 'branch_not_found'
  | 'ref_not_found'
  | 'path_not_found'
  | 'file_exists'
  | 'file_not_found'
  | 'git_failed';

export class RepositoryError extends Error {
  readonly code: RepositoryErrorCode;
  constructor(code: RepositoryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RepositoryError';
    this.code = code;
  }
}

/** What the smart HTTP routes need to know from the forge. */
export interface GitHttpAccess {
  /** Basic-auth credentials (any user name, or `oauth2`/`gitlab-ci-token`, with a token). */
  authenticate(
    username: string,
    password: string,
  ): { userId: number; username: string; scopes: readonly string[] } | null;
  findProject(pathWithNamespace: string): {
    id: number;
    pathWithNamespace: string;
    visibility: 'public' | 'internal' | 'private';
  } | null;
  /** Effective access level (0 when not a member). */
  accessLevel(projectId: number, userId: number): number;
  /** Protected-branch rule for a push by someone with `accessLevel` to `branch`. */
  canPushToBranch(projectId: number, branch: string, accessLevel: number): boolean;
  /** Called once after every receive-pack that updated refs (emit Push Hooks, refresh MRs). */
  onPush(projectId: number, userId: number, updates: RefUpdate[]): void;
}
