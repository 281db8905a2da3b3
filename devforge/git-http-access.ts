import type { ForgeContext } from './forge-context.ts';
import { authenticateToken } from './auth.ts';
import { ForgeError } from './forge-error.ts';
import type { GitHttpAccess, RefUpdate } from './git/repository-store.ts';
import { projectAccessLevel, accessLevels } from './state/access-levels.ts';
import { handlePush } from './webhooks/push-events.ts';

const gitScopes = ['api', 'read_repository', 'write_repository'];

/** What git smart HTTP asks the forge: who is this token, which project, may they push here. */
export function createGitHttpAccess(ctx: ForgeContext): GitHttpAccess {
  return {
    authenticate(_username, password) {
      try {
        const actor = authenticateToken(ctx.state, password);
        const scopes = actor.token.scopes.filter((scope) => gitScopes.includes(scope));
        if (scopes.length === 0) return null;
        actor.token.lastUsedAt = Date.now();
        return { userId: actor.user.id, username: actor.user.username, scopes };
      } catch (error: unknown) {
        if (error instanceof ForgeError) return null;
        throw error;
      }
    },
    findProject(pathWithNamespace) {
      const project = ctx.state.projectByPath(pathWithNamespace);
      if (project === undefined) return null;
      return {
        id: project.id,
        pathWithNamespace: project.pathWithNamespace,
        visibility: project.visibility,
      };
    },
    accessLevel(projectId, userId) {
      if (ctx.state.users.get(userId)?.admin === true) return accessLevels.admin;
      return projectAccessLevel(ctx.state, projectId, userId);
    },
    canPushToBranch(projectId, branch, accessLevel) {
      return canPushToBranch(ctx, projectId, branch, accessLevel);
    },
    onPush(projectId, userId, updates: RefUpdate[]) {
      ctx.webhooks
        .track(handlePush(ctx, null, projectId, userId, updates))
        .catch((error: unknown) => {
          ctx.log.error({ err: error, projectId }, 'push follow-up failed');
        });
    },
  };
}

/** Developers push to unprotected branches; a protected branch requires its push level. */
export function canPushToBranch(
  ctx: ForgeContext,
  projectId: number,
  branch: string,
  accessLevel: number,
): boolean {
  if (accessLevel < accessLevels.developer) return false;
  const rules = [...ctx.state.protectedBranches.values()].filter(
    (rule) => rule.projectId === projectId && wildcardMatches(rule.name, branch),
  );
  if (rules.length === 0) return true;
  return rules.every((rule) => rule.pushAccessLevel !== 0 && accessLevel >= rule.pushAccessLevel);
}

export function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(name);
}
