import type { Actor, ForgeContext } from '../forge-context.ts';
import { forbidden, notFound } from '../forge-error.ts';
import { accessLevels, groupAccessLevel, projectAccessLevel } from '../state/access-levels.ts';
import type { Epic, Group, Issue, MergeRequest, Project } from '../state/types.ts';

/** `:id` is a numeric id or a URL-encoded full path; routers hand it over already decoded. */
function lookup<T>(
  raw: string,
  byId: (id: number) => T | undefined,
  byPath: (p: string) => T | undefined,
) {
  return /^\d+$/.test(raw) ? byId(Number(raw)) : byPath(raw);
}

export function levelOnProject(ctx: ForgeContext, actor: Actor, project: Project): number {
  if (actor.user.admin) return accessLevels.admin;
  return projectAccessLevel(ctx.state, project.id, actor.user.id);
}

export function levelOnGroup(ctx: ForgeContext, actor: Actor, group: Group): number {
  if (actor.user.admin) return accessLevels.admin;
  return groupAccessLevel(ctx.state, group.id, actor.user.id);
}

/** Private projects are invisible (404, never 403) to non-members, as on GitLab. */
export function findProject(ctx: ForgeContext, actor: Actor, raw: string): Project {
  const project = lookup(
    raw,
    (id) => ctx.state.projects.get(id),
    (p) => ctx.state.projectByPath(p),
  );
  if (project === undefined) throw notFound('Project');
  if (
    project.visibility === 'private' &&
    levelOnProject(ctx, actor, project) < accessLevels.guest
  ) {
    throw notFound('Project');
  }
  return project;
}

export function findGroup(ctx: ForgeContext, actor: Actor, raw: string): Group {
  const group = lookup(
    raw,
    (id) => ctx.state.groups.get(id),
    (p) => ctx.state.groupByFullPath(p),
  );
  if (group === undefined) throw notFound('Group');
  if (group.visibility === 'private' && levelOnGroup(ctx, actor, group) < accessLevels.guest) {
    const hasProject = [...ctx.state.projects.values()].some(
      (project) =>
        ctx.state.groupChain(project.namespaceId).some((g) => g.id === group.id) &&
        levelOnProject(ctx, actor, project) >= accessLevels.guest,
    );
    if (!hasProject) throw notFound('Group');
  }
  return group;
}

export function requireProjectLevel(
  ctx: ForgeContext,
  actor: Actor,
  project: Project,
  level: number,
): void {
  if (levelOnProject(ctx, actor, project) < level) throw forbidden();
}

export function requireGroupLevel(
  ctx: ForgeContext,
  actor: Actor,
  group: Group,
  level: number,
): void {
  if (levelOnGroup(ctx, actor, group) < level) throw forbidden();
}

function iidOf(raw: string): number {
  return /^\d+$/.test(raw) ? Number(raw) : -1;
}

export function findIssue(ctx: ForgeContext, project: Project, rawIid: string): Issue {
  const issue = ctx.state.issueByIid(project.id, iidOf(rawIid));
  if (issue === undefined) throw notFound();
  return issue;
}

export function findMergeRequest(
  ctx: ForgeContext,
  project: Project,
  rawIid: string,
): MergeRequest {
  const mr = ctx.state.mergeRequestByIid(project.id, iidOf(rawIid));
  if (mr === undefined) throw notFound();
  return mr;
}

/** The legacy Epics API addresses epics by global id, not iid. */
export function findEpic(ctx: ForgeContext, group: Group, rawId: string): Epic {
  const epic = ctx.state.epics.get(iidOf(rawId));
  if (epic === undefined || epic.groupId !== group.id) throw notFound();
  return epic;
}
