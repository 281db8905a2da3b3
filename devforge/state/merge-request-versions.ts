import type { RepositoryStore } from '../git/repository-store.ts';
import type { ForgeState } from './forge-state.ts';
import type { MergeRequest, Project } from './types.ts';

/**
 * Records a new diff version when the source or target branch moved, as GitLab does after a
 * push. Returns false when nothing changed or a branch no longer resolves.
 */
export async function refreshMergeRequestVersion(
  state: ForgeState,
  store: RepositoryStore,
  project: Project,
  mr: MergeRequest,
): Promise<boolean> {
  const path = project.pathWithNamespace;
  const [headSha, startSha] = await Promise.all([
    store.resolveCommit(path, mr.sourceBranch),
    store.resolveCommit(path, mr.targetBranch),
  ]);
  if (headSha === null || startSha === null) return false;
  const latest = mr.versions.at(-1);
  if (latest?.headCommitSha === headSha && latest.startCommitSha === startSha) return false;
  const [baseSha, headCommit, diffs] = await Promise.all([
    store.mergeBase(path, startSha, headSha),
    store.getCommit(path, headSha),
    store.diff(path, startSha, headSha),
  ]);
  if (headCommit === null) return false;
  mr.versions.push({
    id: state.nextId('mergeRequestVersion'),
    headCommitSha: headSha,
    baseCommitSha: baseSha ?? startSha,
    startCommitSha: startSha,
    createdAt: Date.now(),
    realSize: String(diffs.length),
    headCommit,
  });
  return true;
}
