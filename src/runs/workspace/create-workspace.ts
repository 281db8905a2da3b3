import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../errors/app-error.ts';
import { isGitFailure, type GitRunner } from './git-runner.ts';
import type { MirrorCache, MirrorSource } from './mirror-cache.ts';

export interface WorkspaceRequest {
  mirrors: MirrorCache;
  source: MirrorSource;
  runId: string;
  /** A directory for this run alone; created here, must not exist yet. */
  runDir: string;
  /** The merge request's source branch, or the project's default branch. */
  startBranch: string;
  /** The whole flow context, uncut; written beside the work tree, never inside it. */
  fullContext?: string;
}

export interface Workspace {
  runId: string;
  runDir: string;
  /** The work tree handed to the agent, with its own self-contained `.git`. */
  dir: string;
  /**
   * Baton's own git directory for this work tree (index, new objects, alternates to the
   * mirror). The agent never sees it, so nothing it writes can change what Baton's git does.
   */
  controlGitDir: string;
  /** `<runDir>/context.json`, or null when no context was given. */
  contextFile: string | null;
  /** `workloads/<run id>`. */
  branch: string;
  startBranch: string;
  startSha: string;
  httpUrl: string;
}

/** Where a run starts: the merge request's source branch, else the default branch. */
export function workspaceStartBranch(
  noteable: { type: 'issue' | 'merge_request'; sourceBranch?: string | null },
  defaultBranch: string | null,
): string {
  const branch =
    noteable.type === 'merge_request' && noteable.sourceBranch
      ? noteable.sourceBranch
      : defaultBranch;
  if (!branch) {
    throw new AppError('FORGE_REJECTED', 'The project has no default branch (is it empty?)');
  }
  return branch;
}

export function workloadBranch(runId: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(runId)) {
    throw new AppError('BAD_REQUEST', 'Run id is not usable in a branch name');
  }
  return `workloads/${runId}`;
}

async function checkBranchName(git: GitRunner, branch: string): Promise<void> {
  try {
    await git.run(['check-ref-format', '--branch', branch]);
  } catch (error) {
    throw new AppError('BAD_REQUEST', `"${branch}" is not a valid branch name`, { cause: error });
  }
}

async function resolveStart(git: GitRunner, mirror: string, branch: string): Promise<string> {
  try {
    const result = await git.run([
      `--git-dir=${mirror}`,
      'rev-parse',
      '--verify',
      '--end-of-options',
      `refs/heads/${branch}^{commit}`,
    ]);
    return result.stdout.trim();
  } catch (error) {
    if (!isGitFailure(error)) throw error;
    throw new AppError('NOT_FOUND', `Branch ${branch} does not exist in the repository`, {
      cause: error,
      details: { branch },
    });
  }
}

/**
 * Clones the run's objects from the mirror. `--no-hardlinks` copies the object files: a hard
 * link would share the mirror's inodes with a directory the agent can write to, and alternates
 * (`--shared`, worktrees) would need the mirror inside the sandbox. Copying is a plain file
 * copy, measured cheaper than `--reference --dissociate`'s repack (readme.md). It is the one
 * step that runs under the mirror's gate: copying the pack files while a fetch repacks could
 * miss one. `baton.git` later reads single objects through alternates, as publishing always
 * has; git looks a vanished pack's objects up again in the new one.
 */
async function cloneFromMirror(
  git: GitRunner,
  mirror: string,
  workspace: Omit<Workspace, 'contextFile'>,
): Promise<void> {
  const { dir, branch } = workspace;
  await git.run([
    'clone',
    '--quiet',
    '--no-checkout',
    '--no-hardlinks',
    '--template=',
    // A plain `git push` from the agent's shell then goes to the run's branch.
    `--config=branch.${branch}.remote=origin`,
    `--config=branch.${branch}.merge=refs/heads/${branch}`,
    mirror,
    dir,
  ]);
}

/** Checks the work tree out on the run's branch, with origin pointing at the forge. */
async function checkOutWorkTree(
  git: GitRunner,
  workspace: Omit<Workspace, 'contextFile'>,
): Promise<void> {
  const { dir, branch, startSha, httpUrl } = workspace;
  await git.run(['remote', 'set-url', 'origin', httpUrl], { cwd: dir });
  await git.run(['checkout', '--quiet', '-b', branch, startSha], { cwd: dir });
}

/**
 * Baton's private git dir over the work tree, with the start commit in its index. The index
 * holds no stat data: the sandbox hands the work tree to the run's uid, which changes every
 * file's owner and ctime, so publishing re-reads every file whatever was cached here (measured:
 * a refresh here cost ~90 ms on a 50 MiB tree and saved nothing at publish).
 */
async function createControlGitDir(
  git: GitRunner,
  mirror: string,
  workspace: Omit<Workspace, 'contextFile'>,
): Promise<void> {
  const { controlGitDir, dir, startSha } = workspace;
  await git.run(['init', '--quiet', '--bare', '--template=', controlGitDir]);
  await mkdir(join(controlGitDir, 'objects', 'info'), { recursive: true });
  // The mirror is Baton's and outlives the run; objects only ever get added to it, and fetch's
  // prune keeps unreachable objects for two weeks, longer than any run.
  await writeFile(
    join(controlGitDir, 'objects', 'info', 'alternates'),
    `${join(mirror, 'objects')}\n`,
  );
  const control = [`--git-dir=${controlGitDir}`, `--work-tree=${dir}`];
  await git.run([...control, 'update-ref', 'refs/baton/start', startSha]);
  await git.run([...control, 'read-tree', startSha]);
}

/**
 * Prepares a run's workspace: freshens the project's mirror, clones the work tree from it on
 * `workloads/<run id>` at the start branch's tip, and records that commit. Runs of one project
 * share fetches and clone side by side; the checkout and Baton's git dir need no mirror lock.
 */
export async function createWorkspace(request: WorkspaceRequest): Promise<Workspace> {
  const { mirrors, source, runId, runDir, startBranch } = request;
  const git = mirrors.git;
  const branch = workloadBranch(runId);
  await checkBranchName(git, startBranch);
  await mkdir(dirname(runDir), { recursive: true });
  try {
    await mkdir(runDir, { mode: 0o700 });
  } catch (error) {
    throw new AppError('CONFLICT', 'The run directory already exists', { cause: error });
  }
  try {
    const { workspace, mirror } = await mirrors.withMirror(source, async ({ path }) => {
      const base = {
        runId,
        runDir,
        dir: join(runDir, 'workspace'),
        controlGitDir: join(runDir, 'baton.git'),
        branch,
        startBranch,
        startSha: await resolveStart(git, path, startBranch),
        httpUrl: source.httpUrl,
      };
      await cloneFromMirror(git, path, base);
      return { workspace: base, mirror: path };
    });
    await checkOutWorkTree(git, workspace);
    await createControlGitDir(git, mirror, workspace);
    const contextFile = request.fullContext === undefined ? null : join(runDir, 'context.json');
    if (contextFile !== null && request.fullContext !== undefined) {
      // Readable by the run's uid once the executor binds it into the sandbox; the run
      // directory itself (0700) keeps other runs out.
      await writeFile(contextFile, request.fullContext, { mode: 0o644 });
    }
    return { ...workspace, contextFile };
  } catch (error) {
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
}

/** Deletes everything the run had on disk. */
export async function removeWorkspace(workspace: Pick<Workspace, 'runDir'>): Promise<void> {
  await rm(workspace.runDir, { recursive: true, force: true });
}
