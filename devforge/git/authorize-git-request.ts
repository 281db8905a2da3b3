import type { GitHttpAccess } from './repository-store.ts';
import { assertProjectPath } from './validate-repository-names.ts';

export type GitService = 'git-upload-pack' | 'git-receive-pack';

export type GitProject = NonNullable<ReturnType<GitHttpAccess['findProject']>>;
export type GitUser = NonNullable<ReturnType<GitHttpAccess['authenticate']>>;

export type GitHttpDecision =
  | { allowed: true; project: GitProject; user: GitUser | null; accessLevel: number }
  | { allowed: false; status: 401 | 403 | 404; message: string };

/** GitLab's texts (`Repositories::GitHttpClientController`, `Gitlab::GitAccess::ERROR_MESSAGES`). */
export const gitLabGitMessages = {
  accessDenied: (baseUrl: string) =>
    "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped. " +
    `See ${baseUrl}/help/topics/git/troubleshooting_git.md#error-on-git-fetch-http-basic-access-denied`,
  projectNotFound:
    "The project you were looking for could not be found or you don't have permission to view it.",
  authDownload: 'You are not allowed to download code.',
  authUpload: 'You are not allowed to upload code.',
  download: 'You are not allowed to download code from this project.',
  pushCode: 'You are not allowed to push code to this project.',
  protectedBranch:
    'GitLab: You are not allowed to push code to protected branches on this project.',
} as const;

const readScopes = ['read_repository', 'write_repository', 'api'];
const writeScopes = ['write_repository', 'api'];
const reporter = 20;
const developer = 30;
const guest = 10;

/** `Authorization: Basic` → user name and token; null when absent, 'malformed' when unusable. */
function basicCredentials(
  authorization: string | undefined,
): { username: string; password: string } | null | 'malformed' {
  if (authorization === undefined) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match) return 'malformed';
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return 'malformed';
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function validProjectPath(path: string): boolean {
  try {
    assertProjectPath(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides a smart HTTP request the way GitLab does: anonymous callers are challenged for anything
 * but reading a public project (so git resends with the token from the URL, and so nobody learns
 * whether a private project exists), signed-in callers get 404 for projects they cannot see, and
 * token scopes and role gate reading and pushing separately.
 */
export function authorizeGitRequest(
  access: GitHttpAccess,
  request: {
    projectPath: string;
    service: GitService;
    authorization: string | undefined;
    baseUrl: string;
  },
): GitHttpDecision {
  const denied = (status: 401 | 403 | 404, message: string): GitHttpDecision => ({
    allowed: false,
    status,
    message,
  });
  const challenge = denied(401, gitLabGitMessages.accessDenied(request.baseUrl));
  const credentials = basicCredentials(request.authorization);
  if (credentials === 'malformed') return challenge;
  const user = credentials ? access.authenticate(credentials.username, credentials.password) : null;
  if (credentials && !user) return challenge;
  const project = validProjectPath(request.projectPath)
    ? access.findProject(request.projectPath)
    : null;
  const reading = request.service === 'git-upload-pack';

  if (!user) {
    if (project?.visibility === 'public' && reading) {
      return { allowed: true, project, user: null, accessLevel: 0 };
    }
    return challenge;
  }
  const scopes = new Set(user.scopes);
  if (!(reading ? readScopes : writeScopes).some((scope) => scopes.has(scope))) {
    return denied(403, reading ? gitLabGitMessages.authDownload : gitLabGitMessages.authUpload);
  }
  if (!project) return denied(404, gitLabGitMessages.projectNotFound);
  const accessLevel = access.accessLevel(project.id, user.userId);
  const isPrivate = project.visibility === 'private';
  if (isPrivate && accessLevel < guest) return denied(404, gitLabGitMessages.projectNotFound);
  if (reading) {
    if (isPrivate && accessLevel < reporter) return denied(403, gitLabGitMessages.download);
  } else if (accessLevel < developer) {
    return denied(403, gitLabGitMessages.pushCode);
  }
  return { allowed: true, project, user, accessLevel };
}
