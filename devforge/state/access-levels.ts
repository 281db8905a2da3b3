import type { ForgeState } from './forge-state.ts';
import type { Membership } from './types.ts';

export const accessLevels = {
  none: 0,
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
  admin: 60,
} as const;

const descriptions: Record<number, string> = {
  0: 'No access',
  10: 'Guest',
  20: 'Reporter',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
  50: 'Owner',
  60: 'Admins',
};

export function accessLevelDescription(level: number): string {
  return descriptions[level] ?? String(level);
}

/** The membership that gives `userId` its effective level on a group, inherited ones included. */
export function effectiveGroupMembership(
  state: ForgeState,
  groupId: number,
  userId: number,
): Membership | undefined {
  let best: Membership | undefined;
  for (const group of state.groupChain(groupId)) {
    for (const membership of state.memberships) {
      if (
        membership.sourceType === 'Namespace' &&
        membership.sourceId === group.id &&
        membership.userId === userId &&
        (best === undefined || membership.accessLevel > best.accessLevel)
      ) {
        best = membership;
      }
    }
  }
  return best;
}

/** Highest of the direct project membership and any inherited group membership. */
export function effectiveProjectMembership(
  state: ForgeState,
  projectId: number,
  userId: number,
): Membership | undefined {
  const project = state.projects.get(projectId);
  if (project === undefined) return undefined;
  let best = effectiveGroupMembership(state, project.namespaceId, userId);
  for (const membership of state.memberships) {
    if (
      membership.sourceType === 'Project' &&
      membership.sourceId === projectId &&
      membership.userId === userId &&
      (best === undefined || membership.accessLevel > best.accessLevel)
    ) {
      best = membership;
    }
  }
  return best;
}

export function projectAccessLevel(state: ForgeState, projectId: number, userId: number): number {
  return effectiveProjectMembership(state, projectId, userId)?.accessLevel ?? accessLevels.none;
}

export function groupAccessLevel(state: ForgeState, groupId: number, userId: number): number {
  return effectiveGroupMembership(state, groupId, userId)?.accessLevel ?? accessLevels.none;
}

export function directProjectMembership(
  state: ForgeState,
  projectId: number,
  userId: number,
): Membership | undefined {
  return state.memberships.find(
    (m) => m.sourceType === 'Project' && m.sourceId === projectId && m.userId === userId,
  );
}

/** Project members and inherited group members, each user once at their highest level. */
export function allProjectMembers(state: ForgeState, projectId: number): Membership[] {
  const userIds = new Set<number>();
  const project = state.projects.get(projectId);
  if (project === undefined) return [];
  const groupIds = new Set(state.groupChain(project.namespaceId).map((g) => g.id));
  for (const m of state.memberships) {
    if (
      (m.sourceType === 'Project' && m.sourceId === projectId) ||
      (m.sourceType === 'Namespace' && groupIds.has(m.sourceId))
    ) {
      userIds.add(m.userId);
    }
  }
  const result: Membership[] = [];
  for (const userId of [...userIds].sort((a, b) => a - b)) {
    const membership = effectiveProjectMembership(state, projectId, userId);
    if (membership !== undefined) result.push(membership);
  }
  return result;
}
