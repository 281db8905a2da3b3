import type { ForgeUrls } from '../forge-urls.ts';
import type { ForgeState } from '../state/forge-state.ts';
import { effectiveGroupMembership, directProjectMembership } from '../state/access-levels.ts';
import type { Group, Project } from '../state/types.ts';
import { isoTime } from './time.ts';

export function namespaceEntity(urls: ForgeUrls, group: Group) {
  return {
    id: group.id,
    name: group.name,
    path: group.path,
    kind: 'group',
    full_path: group.fullPath,
    parent_id: group.parentId,
    avatar_url: null,
    web_url: urls.web(`groups/${group.fullPath}`),
  };
}

export function groupEntity(urls: ForgeUrls, group: Group) {
  return {
    id: group.id,
    web_url: urls.web(`groups/${group.fullPath}`),
    name: group.name,
    path: group.path,
    description: group.description,
    visibility: group.visibility,
    full_name: group.name,
    full_path: group.fullPath,
    parent_id: group.parentId,
    created_at: isoTime(group.createdAt),
    avatar_url: null,
    request_access_enabled: false,
    lfs_enabled: true,
  };
}

export function projectUrls(urls: ForgeUrls, project: Project) {
  return {
    web_url: urls.web(project.pathWithNamespace),
    http_url_to_repo: urls.web(`${project.pathWithNamespace}.git`),
    ssh_url_to_repo: `git@${new URL(urls.base).hostname}:${project.pathWithNamespace}.git`,
  };
}

/** `GET /projects/:id`; `permissions` describe the caller's own access, as on GitLab. */
export function projectEntity(
  urls: ForgeUrls,
  state: ForgeState,
  project: Project,
  callerId: number,
) {
  const namespace = state.groups.get(project.namespaceId);
  const direct = directProjectMembership(state, project.id, callerId);
  const inherited = effectiveGroupMembership(state, project.namespaceId, callerId);
  const nameWithNamespace = [...state.groupChain(project.namespaceId)]
    .reverse()
    .map((g) => g.name)
    .concat(project.name)
    .join(' / ');
  return {
    id: project.id,
    description: project.description,
    name: project.name,
    name_with_namespace: nameWithNamespace,
    path: project.path,
    path_with_namespace: project.pathWithNamespace,
    created_at: isoTime(project.createdAt),
    default_branch: project.defaultBranch,
    tag_list: [],
    topics: [],
    ...projectUrls(urls, project),
    readme_url: urls.web(`${project.pathWithNamespace}/-/blob/${project.defaultBranch}/README.md`),
    avatar_url: null,
    forks_count: 0,
    star_count: 0,
    last_activity_at: isoTime(project.lastActivityAt),
    namespace: namespace === undefined ? null : namespaceEntity(urls, namespace),
    visibility: project.visibility,
    archived: false,
    empty_repo: false,
    issues_enabled: true,
    merge_requests_enabled: true,
    wiki_enabled: false,
    jobs_enabled: true,
    creator_id: project.creatorId,
    open_issues_count: [...state.issues.values()].filter(
      (i) => i.projectId === project.id && i.state === 'opened',
    ).length,
    permissions: {
      project_access:
        direct === undefined ? null : { access_level: direct.accessLevel, notification_level: 3 },
      group_access:
        inherited === undefined
          ? null
          : { access_level: inherited.accessLevel, notification_level: 3 },
    },
  };
}

/** The `project` object of webhook bodies. */
export function hookProject(urls: ForgeUrls, project: Project) {
  const { web_url, http_url_to_repo, ssh_url_to_repo } = projectUrls(urls, project);
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    web_url,
    avatar_url: null,
    git_ssh_url: ssh_url_to_repo,
    git_http_url: http_url_to_repo,
    namespace: project.pathWithNamespace.split('/').slice(0, -1).join('/'),
    visibility_level:
      project.visibility === 'private' ? 0 : project.visibility === 'internal' ? 10 : 20,
    path_with_namespace: project.pathWithNamespace,
    default_branch: project.defaultBranch,
    ci_config_path: null,
    homepage: web_url,
    url: ssh_url_to_repo,
    ssh_url: ssh_url_to_repo,
    http_url: http_url_to_repo,
  };
}

export function hookRepository(urls: ForgeUrls, project: Project) {
  const { web_url, http_url_to_repo, ssh_url_to_repo } = projectUrls(urls, project);
  return {
    name: project.name,
    url: ssh_url_to_repo,
    description: project.description,
    homepage: web_url,
    git_http_url: http_url_to_repo,
    git_ssh_url: ssh_url_to_repo,
    visibility_level:
      project.visibility === 'private' ? 0 : project.visibility === 'internal' ? 10 : 20,
  };
}
