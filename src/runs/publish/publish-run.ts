import { AppError } from '../../errors/app-error.ts';
import type { ForgeApi, ForgeMergeRequest } from '../../forges/forge.ts';
import type { Logger } from '../../logging/logger.ts';
import type { GitRunner } from '../workspace/git-runner.ts';
import type { Workspace } from '../workspace/create-workspace.ts';
import {
  commitMessage,
  mergeRequestDescription,
  mergeRequestTitle,
  type ChangeTextInput,
} from './merge-request-text.ts';
import { PublishError } from './publish-error.ts';
import {
  fetchBranch,
  pushCommit,
  pushFailureMessage,
  remoteBranchTip,
  type RemoteTarget,
} from './push-branch.ts';
import { controlGit, readAgentBranch, stageWorkspace } from './stage-workspace.ts';

export type PublishResult =
  | { kind: 'merge_request'; url: string; iid: number; created: boolean }
  | { kind: 'pushed'; branch: string; sha: string }
  | { kind: 'no_changes' };

export interface CommitIdentity {
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
}

export interface PublishRequest {
  workspace: Workspace;
  git: GitRunner;
  /** The forge API as the service account. */
  api: ForgeApi;
  /** The service account's token, for the push. */
  token: string;
  projectId: number;
  noteable: { type: 'issue' | 'merge_request'; iid: number };
  /** Author: the service account; committer: the person who asked. */
  identity: CommitIdentity;
  /** The agent's summary of its work (untrusted); null when it gave none. */
  summary: string | null;
  /** Masked variable values, kept out of the commit, the MR and the pushed files. */
  secrets: readonly string[];
  /** Asked from a merge request: push to its source branch instead of opening an MR. */
  pushToSourceBranch?: boolean;
  requestedBy?: string | null;
  agentName?: string | null;
  logger?: Logger;
}

/** The run's `GIT_AUTHOR_*` / `GIT_COMMITTER_*` (built with its flow context). */
export function commitIdentityFromEnvironment(env: Record<string, string>): CommitIdentity {
  const read = (name: string): string => {
    const value = env[name];
    if (!value) throw new AppError('INTERNAL', `The run's environment has no ${name}`);
    return value;
  };
  return {
    authorName: read('GIT_AUTHOR_NAME'),
    authorEmail: read('GIT_AUTHOR_EMAIL'),
    committerName: read('GIT_COMMITTER_NAME'),
    committerEmail: read('GIT_COMMITTER_EMAIL'),
  };
}

function textInput(request: PublishRequest): ChangeTextInput {
  return {
    summary: request.summary,
    secrets: request.secrets,
    noteable: request.noteable,
    runId: request.workspace.runId,
    requestedBy: request.requestedBy ?? null,
    agentName: request.agentName ?? null,
  };
}

async function treeOf(request: PublishRequest, commit: string): Promise<string> {
  const result = await request.git.run([
    ...controlGit(request.workspace),
    'rev-parse',
    `${commit}^{tree}`,
  ]);
  return result.stdout.trim();
}

async function commitTree(request: PublishRequest, tree: string, parent: string): Promise<string> {
  const { identity } = request;
  const result = await request.git.run(
    [...controlGit(request.workspace), 'commit-tree', tree, '-p', parent, '-F', '-'],
    {
      input: commitMessage(textInput(request)),
      env: {
        GIT_AUTHOR_NAME: identity.authorName,
        GIT_AUTHOR_EMAIL: identity.authorEmail,
        GIT_COMMITTER_NAME: identity.committerName,
        GIT_COMMITTER_EMAIL: identity.committerEmail,
      },
    },
  );
  return result.stdout.trim();
}

/**
 * The tip to build on and whether anything is left to push. When the flow already pushed the
 * branch itself, Baton's commit goes on top of it (never replacing it), or nothing is pushed
 * when the flow's push already holds the work tree.
 */
async function prepareCommit(
  request: PublishRequest,
  remote: RemoteTarget,
  branch: string,
  tree: string,
): Promise<{ sha: string; push: boolean } | null> {
  const { workspace } = request;
  const remoteTip = await remoteBranchTip(remote, branch);
  const ownBranch = branch === workspace.branch;
  if (!ownBranch && remoteTip === null) {
    throw new PublishError(
      'push',
      'branch_moved',
      `Baton did not push to ${branch}: the branch was deleted while the agent was working. Ask again from an open merge request.`,
      { details: { branch } },
    );
  }
  if (remoteTip !== null && remoteTip !== workspace.startSha) {
    await fetchBranch(remote, branch);
    if ((await treeOf(request, remoteTip)) === tree) return { sha: remoteTip, push: false };
    if (!ownBranch) {
      throw new PublishError('push', 'branch_moved', pushFailureMessage('branch_moved', branch), {
        details: { branch },
      });
    }
  }
  const base = remoteTip !== null && ownBranch ? remoteTip : workspace.startSha;
  if ((await treeOf(request, base)) === tree) return null;
  return { sha: await commitTree(request, tree, base), push: true };
}

async function openMergeRequest(
  request: PublishRequest,
  branch: string,
): Promise<{ mr: ForgeMergeRequest; created: boolean }> {
  const { api, projectId, workspace } = request;
  const existing = await api.listMergeRequests(projectId, { sourceBranch: branch });
  if (existing[0]) return { mr: existing[0], created: false };
  try {
    const mr = await api.createMergeRequest({
      projectId,
      sourceBranch: branch,
      targetBranch: workspace.startBranch,
      title: mergeRequestTitle(textInput(request)),
      description: mergeRequestDescription(textInput(request)),
      removeSourceBranch: true,
    });
    return { mr, created: true };
  } catch (error) {
    // Opened by the flow between our look and our create: link that one.
    const raced = await api.listMergeRequests(projectId, { sourceBranch: branch });
    if (raced[0]) return { mr: raced[0], created: false };
    throw new PublishError(
      'merge_request',
      'merge_request_failed',
      `Baton pushed ${branch} but could not open a merge request: ${error instanceof Error ? error.message : 'GitLab refused it'}. You can open one from that branch yourself.`,
      { cause: error, details: { branch } },
    );
  }
}

/** A merge request the flow opened itself from the branch it left checked out, if any. */
async function flowMergeRequest(request: PublishRequest): Promise<ForgeMergeRequest | null> {
  const { workspace } = request;
  const branch = await readAgentBranch(request.git, workspace.dir);
  if (branch === null || branch === workspace.branch || branch === workspace.startBranch) {
    return null;
  }
  const found = await request.api.listMergeRequests(request.projectId, { sourceBranch: branch });
  return found[0] ?? null;
}

/**
 * Publishes a successful run's work: one commit (author: service account, committer: the
 * person who asked) with the work tree as the agent left it, pushed to `workloads/<id>` with a
 * merge request into the branch the run started from, or pushed to the merge request's source
 * branch when asked to. Links a merge request the flow opened itself instead of opening
 * another.
 */
export async function publishRun(request: PublishRequest): Promise<PublishResult> {
  const { workspace, logger } = request;
  const toSource = request.pushToSourceBranch === true && request.noteable.type === 'merge_request';
  const branch = toSource ? workspace.startBranch : workspace.branch;
  const remote: RemoteTarget = { git: request.git, workspace, token: request.token };

  if (!toSource) {
    const flowMr = await flowMergeRequest(request);
    if (flowMr)
      return { kind: 'merge_request', url: flowMr.webUrl, iid: flowMr.iid, created: false };
  }
  const { tree } = await stageWorkspace(request.git, workspace, request.secrets);
  const commit = await prepareCommit(request, remote, branch, tree);
  if (commit === null) return { kind: 'no_changes' };
  if (commit.push) await pushCommit(remote, commit.sha, branch);
  logger?.info({ branch, sha: commit.sha, pushed: commit.push }, 'run changes published');
  if (toSource) return { kind: 'pushed', branch, sha: commit.sha };
  const { mr, created } = await openMergeRequest(request, branch);
  return { kind: 'merge_request', url: mr.webUrl, iid: mr.iid, created };
}
