import type { ForgeUrls } from '../forge-urls.ts';
import type { CommitInfo } from '../git/repository-store.ts';
import type { Project } from '../state/types.ts';

export function commitEntity(urls: ForgeUrls, project: Project, commit: CommitInfo) {
  return {
    id: commit.id,
    short_id: commit.shortId,
    created_at: commit.committedDate,
    parent_ids: commit.parentIds,
    title: commit.title,
    message: commit.message,
    author_name: commit.authorName,
    author_email: commit.authorEmail,
    authored_date: commit.authoredDate,
    committer_name: commit.committerName,
    committer_email: commit.committerEmail,
    committed_date: commit.committedDate,
    trailers: {},
    extended_trailers: {},
    web_url: urls.web(`${project.pathWithNamespace}/-/commit/${commit.id}`),
  };
}
