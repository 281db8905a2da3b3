import { ForgeError, badRequest, notFound } from '../forge-error.ts';
import { RepositoryError } from '../git/repository-store.ts';

/** GitLab's answers for the git failures the REST repository routes can hit. */
export function toForgeError(error: unknown, notFoundSubject: string): unknown {
  if (!(error instanceof RepositoryError)) return error;
  switch (error.code) {
    case 'branch_exists':
      return badRequest('Branch already exists');
    case 'branch_not_found':
      return badRequest('You can only create or edit files when you are on a branch');
    case 'file_exists':
      return badRequest('A file with this name already exists');
    case 'file_not_found':
      return badRequest("A file with this name doesn't exist");
    case 'ref_not_found':
    case 'path_not_found':
      return notFound(notFoundSubject);
    case 'git_failed':
      return new ForgeError(500, { message: '500 Internal Server Error' });
  }
}

export async function withRepositoryErrors<T>(
  work: Promise<T>,
  notFoundSubject: string,
): Promise<T> {
  try {
    return await work;
  } catch (error: unknown) {
    throw toForgeError(error, notFoundSubject);
  }
}
