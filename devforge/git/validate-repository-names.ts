import { RepositoryError } from './repository-store.ts';

/*
 * Every name that reaches git or the file system from an API caller passes through here. Each
 * check refuses rather than repairs, so a caller never operates on a name other than the one it
 * asked for. Failures use 'ref_not_found' / 'path_not_found': to a caller an unusable name is one
 * that does not exist.
 */

function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
const projectSegment = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** `group/sub/project` as GitLab spells `path_with_namespace`. */
export function assertProjectPath(projectPath: string): void {
  const segments = projectPath.split('/');
  const valid =
    projectPath.length > 0 &&
    projectPath.length <= 1024 &&
    segments.length <= 21 &&
    segments.every(
      (segment) =>
        projectSegment.test(segment) &&
        !segment.includes('..') &&
        !segment.endsWith('.') &&
        !/\.(git|atom)$/i.test(segment),
    );
  if (!valid) throw new RepositoryError('path_not_found', 'Invalid project path');
}

/** git check-ref-format's rules for a name below `refs/`, plus no leading dash. */
export function isValidRefName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (hasControlCharacter(name) || /[ ~^:?*[\\]/.test(name)) return false;
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) {
    return false;
  }
  if (name.includes('..') || name.includes('//') || name.includes('@{') || name === '@') {
    return false;
  }
  return name
    .split('/')
    .every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

export function assertBranchName(name: string): void {
  if (!isValidRefName(name) || name === 'HEAD' || name.startsWith('refs/')) {
    throw new RepositoryError('ref_not_found', 'Invalid branch name');
  }
}

/**
 * A branch, tag, full ref name or (abbreviated) SHA. Revision operators (`~`, `^`, `:`, `..`)
 * are refused so that a caller's "ref" can only ever name a ref or an object.
 */
export function assertRevision(revision: string): void {
  if (!isValidRefName(revision)) {
    throw new RepositoryError('ref_not_found', 'Invalid ref');
  }
}

/** A repository-relative file path as GitLab's files API takes it (no leading slash). */
export function assertFilePath(filePath: string): void {
  const segments = filePath.split('/');
  const valid =
    filePath.length > 0 &&
    filePath.length <= 4096 &&
    !hasControlCharacter(filePath) &&
    segments.every(
      (segment) =>
        segment.length > 0 &&
        segment !== '.' &&
        segment !== '..' &&
        segment.toLowerCase() !== '.git',
    );
  if (!valid) throw new RepositoryError('path_not_found', 'Invalid file path');
}
