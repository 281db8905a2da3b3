import { lstat, readFile } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { redactSecrets } from '../../secrets/redact.ts';
import { isGitFailure, type GitRunner } from '../workspace/git-runner.ts';
import type { Workspace } from '../workspace/create-workspace.ts';
import { PublishError } from './publish-error.ts';

export interface StagedWorkspace {
  /** The tree of the work tree as the agent left it. */
  tree: string;
  /** The tree of the commit the run started from. */
  startTree: string;
}

interface RawEntry {
  newMode: string;
  newSha: string;
  status: string;
  path: string;
}

/**
 * Arguments that make git read the agent's files through Baton's own git directory: the
 * agent's `.git` (config, hooks, index, refs) is never opened, so nothing it wrote there runs.
 */
export function controlGit(workspace: Pick<Workspace, 'controlGitDir' | 'dir'>): string[] {
  return [`--git-dir=${workspace.controlGitDir}`, `--work-tree=${workspace.dir}`];
}

function parseRawDiff(output: string): RawEntry[] {
  const fields = output.split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, newMode = '', , newSha = '', status = ''] = (fields[i] ?? '').split(' ');
    entries.push({ newMode, newSha, status, path: fields[i + 1] ?? '' });
  }
  return entries;
}

/** True when a link stored at `path` (relative to the root) resolves outside the root. */
export function symlinkEscapes(path: string, target: string): boolean {
  if (target.startsWith('/') || target.includes('\0')) return true;
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  return resolved === '..' || resolved.startsWith('../');
}

async function checkEntries(git: GitRunner, workspace: Workspace, entries: RawEntry[]) {
  for (const entry of entries) {
    if (entry.status === 'D') continue;
    if (entry.newMode === '160000') {
      throw new PublishError(
        'commit',
        'nested_repository',
        `The agent left a nested git repository at ${entry.path}; Baton does not publish those. Ask the agent to add the files instead.`,
        { details: { path: entry.path } },
      );
    }
    if (entry.newMode !== '120000') continue;
    const blob = await git.run([...controlGit(workspace), 'cat-file', 'blob', entry.newSha]);
    if (symlinkEscapes(entry.path, blob.stdout)) {
      throw new PublishError(
        'commit',
        'unsafe_symlink',
        `The agent created a symbolic link ${entry.path} that points outside the repository; Baton does not publish it.`,
        { details: { path: entry.path } },
      );
    }
  }
}

async function assertNoSecrets(
  git: GitRunner,
  workspace: Workspace,
  secrets: readonly string[],
): Promise<void> {
  if (secrets.length === 0) return;
  const diff = await git.run([
    ...controlGit(workspace),
    'diff-index',
    '--cached',
    '-p',
    '--text',
    '--no-ext-diff',
    '--no-textconv',
    'refs/baton/start',
  ]);
  if (redactSecrets(diff.stdout, secrets) !== diff.stdout) {
    throw new PublishError(
      'commit',
      'secret_in_changes',
      "The agent's changes contain the value of a masked CI/CD variable, so Baton did not publish them. Ask again and tell the agent not to write secrets into files.",
    );
  }
}

/**
 * Stages the work tree as the agent left it in Baton's index and checks it: no link out of the
 * repository, no nested repository, no masked value. Commits the agent made itself are covered:
 * their result is in the work tree, which is what gets published.
 */
export async function stageWorkspace(
  git: GitRunner,
  workspace: Workspace,
  secrets: readonly string[],
): Promise<StagedWorkspace> {
  const control = controlGit(workspace);
  try {
    await git.run([...control, 'add', '--all', '--', '.'], { cwd: workspace.dir });
  } catch (error) {
    const stderr = isGitFailure(error) ? error.details.stderr.split('\n')[0] : '';
    throw new PublishError(
      'commit',
      'commit_failed',
      `Baton could not read the agent's changes (${redactSecrets(stderr ?? '', secrets)}).`,
      { cause: error },
    );
  }
  const raw = await git.run([
    ...control,
    'diff-index',
    '--cached',
    '--raw',
    '-z',
    '--no-renames',
    'refs/baton/start',
  ]);
  await checkEntries(git, workspace, parseRawDiff(raw.stdout));
  await assertNoSecrets(git, workspace, secrets);
  const tree = (await git.run([...control, 'write-tree'])).stdout.trim();
  const startTree = (
    await git.run([...control, 'rev-parse', `${workspace.startSha}^{tree}`])
  ).stdout.trim();
  return { tree, startTree };
}

/**
 * The branch the agent left checked out, read from `.git/HEAD` as plain text (never through
 * git, which would read the agent's config). Null when detached, unreadable or odd.
 */
export async function readAgentBranch(
  git: GitRunner,
  workspaceDir: string,
): Promise<string | null> {
  const head = join(workspaceDir, '.git', 'HEAD');
  try {
    const [dotGit, info] = await Promise.all([lstat(join(workspaceDir, '.git')), lstat(head)]);
    if (!dotGit.isDirectory() || !info.isFile() || info.size > 1024) return null;
    const branch = /^ref: refs\/heads\/(\S+)\n?$/.exec(await readFile(head, 'utf8'))?.[1];
    if (branch === undefined) return null;
    await git.run(['check-ref-format', '--branch', branch]);
    return branch;
  } catch {
    return null;
  }
}
