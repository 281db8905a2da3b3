import { isGitFailure, type GitRunner } from '../workspace/git-runner.ts';
import type { Workspace } from '../workspace/create-workspace.ts';
import { PublishError, type PublishFailureReason } from './publish-error.ts';

export interface RemoteTarget {
  git: GitRunner;
  workspace: Pick<Workspace, 'controlGitDir' | 'httpUrl'>;
  /** The service account's token; sent as an HTTP header only. */
  token: string;
}

function auth(target: RemoteTarget) {
  return { auth: { url: target.workspace.httpUrl, token: target.token }, timeoutMs: 600_000 };
}

/**
 * What git's output says about a refused push. Git gives no machine-readable reason, so this
 * reads GitLab's wording (`lib/gitlab/git_access.rb`) and git's own status words.
 */
export function classifyPushFailure(stderr: string): PublishFailureReason {
  if (/protected branch/i.test(stderr)) return 'protected_branch';
  if (/non-fast-forward|\(fetch first\)|stale info/i.test(stderr)) return 'branch_moved';
  if (/not allowed to (push|upload) code|returned error: 403/i.test(stderr))
    return 'push_forbidden';
  if (
    /Authentication failed|HTTP Basic: Access denied|returned error: 401|could not read (Username|Password)/i.test(
      stderr,
    )
  )
    return 'push_unauthorized';
  if (
    /Could not resolve host|Connection refused|timed out|Failed to connect|returned error: 5\d\d/i.test(
      stderr,
    )
  )
    return 'forge_unavailable';
  return 'push_failed';
}

/** Words for the person who asked: what went wrong and who can change it. */
export function pushFailureMessage(reason: PublishFailureReason, branch: string): string {
  const pattern = branch.startsWith('workloads/') ? 'workloads/*' : branch;
  switch (reason) {
    case 'protected_branch':
      return `Baton could not push ${branch}: the branch is protected. A maintainer can allow Developers to push to \`${pattern}\` in Settings → Repository → Protected branches (or unprotect it); then ask again.`;
    case 'branch_moved':
      return `Baton did not push to ${branch}: it received new commits while the agent was working, and Baton never overwrites them. Ask again to start from the new tip.`;
    case 'push_forbidden':
      return `Baton could not push ${branch}: GitLab refused the service account. Give it the Developer role (or higher) in this project and a token with the write_repository scope.`;
    case 'push_unauthorized':
      return `Baton could not push ${branch}: GitLab did not accept the service account's token (expired or revoked?). An administrator can set a new token for the account in Baton.`;
    case 'forge_unavailable':
      return `Baton could not push ${branch}: GitLab could not be reached. Ask again in a few minutes.`;
    default:
      return `Baton could not push ${branch}: GitLab refused the push.`;
  }
}

function pushError(error: unknown, branch: string): unknown {
  if (!isGitFailure(error)) return error;
  const reason = classifyPushFailure(error.details.stderr);
  return new PublishError('push', reason, pushFailureMessage(reason, branch), {
    cause: error,
    details: { branch },
  });
}

/** The branch's tip on the forge, or null when it does not exist there. */
export async function remoteBranchTip(
  target: RemoteTarget,
  branch: string,
): Promise<string | null> {
  const ref = `refs/heads/${branch}`;
  try {
    const result = await target.git.run(
      [`--git-dir=${target.workspace.controlGitDir}`, 'ls-remote', target.workspace.httpUrl, ref],
      auth(target),
    );
    const line = result.stdout.split('\n').find((l) => l.endsWith(`\t${ref}`));
    return line?.split('\t')[0] ?? null;
  } catch (error) {
    throw pushError(error, branch);
  }
}

/** Brings a forge branch's commits into Baton's git dir, to compare or build on them. */
export async function fetchBranch(target: RemoteTarget, branch: string): Promise<void> {
  try {
    await target.git.run(
      [
        `--git-dir=${target.workspace.controlGitDir}`,
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        target.workspace.httpUrl,
        `+refs/heads/${branch}:refs/baton/remote/${branch}`,
      ],
      auth(target),
    );
  } catch (error) {
    throw pushError(error, branch);
  }
}

/**
 * Pushes `sha` to `branch` without force: if the branch moved on the forge, the push is refused
 * instead of dropping someone's commits.
 */
export async function pushCommit(target: RemoteTarget, sha: string, branch: string): Promise<void> {
  try {
    await target.git.run(
      [
        `--git-dir=${target.workspace.controlGitDir}`,
        'push',
        '--quiet',
        '--no-verify',
        target.workspace.httpUrl,
        `${sha}:refs/heads/${branch}`,
      ],
      auth(target),
    );
  } catch (error) {
    throw pushError(error, branch);
  }
}
