import type { ScopeType } from '../db/schema.ts';

/** GitLab paths compare case-insensitively (a project is found by any casing of its path). */
export function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '').toLowerCase();
}

/** The group paths above a project, nearest first: `a/b/c` → `a/b`, `a`. */
export function ancestorGroups(projectPath: string): string[] {
  const parts = normalizePath(projectPath).split('/');
  const groups: string[] = [];
  for (let i = parts.length - 1; i >= 1; i -= 1) groups.push(parts.slice(0, i).join('/'));
  return groups;
}

/** Whether a rule scoped to a project or group applies to `projectPath`. */
export function scopeCovers(
  scope: { type: ScopeType; path: string },
  projectPath: string,
): boolean {
  const path = normalizePath(scope.path);
  const project = normalizePath(projectPath);
  return scope.type === 'project' ? path === project : project.startsWith(`${path}/`);
}
