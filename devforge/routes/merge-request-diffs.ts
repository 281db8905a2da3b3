import type { FastifyInstance } from 'fastify';
import type { ForgeContext } from '../forge-context.ts';
import { notFound } from '../forge-error.ts';
import type { FileDiff } from '../git/repository-store.ts';
import { paginate } from '../pagination.ts';
import { mergeRequestEntity } from '../presenters/issuables.ts';
import { isoTime } from '../presenters/time.ts';
import type { MergeRequest, MergeRequestVersion, Project } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { findMergeRequest, findProject } from './resolve.ts';

function diffEntity(diff: FileDiff) {
  return {
    diff: diff.diff,
    new_path: diff.newPath,
    old_path: diff.oldPath,
    a_mode: diff.aMode,
    b_mode: diff.bMode,
    new_file: diff.newFile,
    renamed_file: diff.renamedFile,
    deleted_file: diff.deletedFile,
    generated_file: false,
  };
}

function versionEntity(mr: MergeRequest, version: MergeRequestVersion) {
  return {
    id: version.id,
    head_commit_sha: version.headCommitSha,
    base_commit_sha: version.baseCommitSha,
    start_commit_sha: version.startCommitSha,
    created_at: isoTime(version.createdAt),
    merge_request_id: mr.id,
    state: 'collected',
    real_size: version.realSize,
    patch_id_sha: null,
  };
}

/** MR diffs come from git, between the latest version's start and head commits. */
export function registerMergeRequestDiffRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  const prefix = '/api/v4/projects/:id/merge_requests/:merge_request_iid';
  const load = (request: Parameters<typeof ctx.actor>[0]) => {
    const project = findProject(ctx, ctx.actor(request), pathParam(request, 'id'));
    return { project, mr: findMergeRequest(ctx, project, pathParam(request, 'merge_request_iid')) };
  };
  const diffsOf = async (project: Project, version: MergeRequestVersion | undefined) =>
    version === undefined
      ? []
      : ctx.store.diff(project.pathWithNamespace, version.startCommitSha, version.headCommitSha);

  app.get(`${prefix}/diffs`, async (request, reply) => {
    const { project, mr } = load(request);
    const diffs = await diffsOf(project, mr.versions.at(-1));
    return paginate(request, reply, ctx.urls, diffs).map(diffEntity);
  });

  app.get(`${prefix}/changes`, async (request) => {
    const { project, mr } = load(request);
    const diffs = await diffsOf(project, mr.versions.at(-1));
    return {
      ...mergeRequestEntity(ctx.urls, ctx.state, project, mr),
      changes: diffs.map(diffEntity),
      overflow: false,
    };
  });

  app.get(`${prefix}/versions`, (request, reply) => {
    const { mr } = load(request);
    const newestFirst = [...mr.versions].reverse();
    return paginate(request, reply, ctx.urls, newestFirst).map((v) => versionEntity(mr, v));
  });

  app.get(`${prefix}/versions/:version_id`, async (request) => {
    const { project, mr } = load(request);
    const version = mr.versions.find((v) => v.id === Number(pathParam(request, 'version_id')));
    if (version === undefined) throw notFound();
    const diffs = await diffsOf(project, version);
    return { ...versionEntity(mr, version), commits: [], diffs: diffs.map(diffEntity) };
  });
}
