import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import type {
  ForgeAccount,
  ForgeApi,
  ForgeDiff,
  ForgeIssue,
  ForgeMergeRequest,
  ForgeNote,
  ForgeProject,
  NewMergeRequest,
  NoteableAddress,
} from '../forge.ts';
import {
  diffSchema,
  discussionSchema,
  issueSchema,
  memberSchema,
  mergeRequestSchema,
  noteSchema,
  projectSchema,
  userSchema,
} from './api-schema.ts';
import { GitLabHttp, type GitLabHttpOptions } from './gitlab-http.ts';

const enc = encodeURIComponent;

// Built once: zod compiles a schema on its first use, and a schema built per call is compiled on
// every call (a tenth of a millisecond or more of the one thread, for every forge answer).
const mergeRequestsSchema = z.array(mergeRequestSchema);
const diffsSchema = z.array(diffSchema);
const notesSchema = z.array(noteSchema);
const noteIdSchema = noteSchema.pick({ id: true });
const fileSchema = z
  .object({ content: z.string(), encoding: z.string() })
  .transform((file) =>
    Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8'),
  );

function noteablePath(noteable: NoteableAddress): string {
  switch (noteable.type) {
    case 'issue':
      return `/projects/${noteable.projectId}/issues/${noteable.iid}`;
    case 'merge_request':
      return `/projects/${noteable.projectId}/merge_requests/${noteable.iid}`;
    case 'epic':
      return `/groups/${noteable.groupId}/epics/${noteable.epicId}`;
  }
}

function account(user: z.infer<typeof userSchema>): ForgeAccount {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    bot: user.bot === true,
    email: user.commit_email ?? user.public_email ?? user.email ?? null,
  };
}

function issue(value: z.infer<typeof issueSchema>): ForgeIssue {
  return {
    id: value.id,
    iid: value.iid,
    title: value.title,
    description: value.description ?? '',
    state: value.state,
    labels: value.labels,
    author: { username: value.author.username, name: value.author.name },
    webUrl: value.web_url,
  };
}

function mergeRequest(mr: z.infer<typeof mergeRequestSchema>): ForgeMergeRequest {
  return {
    ...issue(mr),
    sourceBranch: mr.source_branch,
    targetBranch: mr.target_branch,
    draft: mr.draft === true,
  };
}

/** The GitLab adapter of the forge port, for one connection and one token. */
export class GitLabApi implements ForgeApi {
  readonly http: GitLabHttp;

  constructor(options: GitLabHttpOptions) {
    this.http = new GitLabHttp(options);
  }

  async currentAccount(): Promise<ForgeAccount> {
    return account(await this.http.request('GET', '/user', { schema: userSchema }));
  }

  async getAccount(userId: number): Promise<ForgeAccount> {
    return account(await this.http.request('GET', `/users/${userId}`, { schema: userSchema }));
  }

  async projectAccessLevel(projectId: number, userId: number): Promise<number> {
    try {
      const member = await this.http.request(
        'GET',
        `/projects/${projectId}/members/all/${userId}`,
        {
          schema: memberSchema,
        },
      );
      return member.access_level;
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORGE_NOT_FOUND') return 0;
      throw error;
    }
  }

  async getProject(idOrPath: number | string): Promise<ForgeProject> {
    const key = typeof idOrPath === 'number' ? String(idOrPath) : enc(idOrPath);
    const p = await this.http.request('GET', `/projects/${key}`, { schema: projectSchema });
    return {
      id: p.id,
      pathWithNamespace: p.path_with_namespace,
      name: p.name,
      namespacePath:
        p.namespace?.full_path ?? p.path_with_namespace.split('/').slice(0, -1).join('/'),
      defaultBranch: p.default_branch ?? null,
      webUrl: p.web_url,
      httpUrlToRepo: p.http_url_to_repo,
      visibility: p.visibility,
    };
  }

  async getIssue(projectId: number, iid: number): Promise<ForgeIssue> {
    return issue(
      await this.http.request('GET', `/projects/${projectId}/issues/${iid}`, {
        schema: issueSchema,
      }),
    );
  }

  async getMergeRequest(projectId: number, iid: number): Promise<ForgeMergeRequest> {
    const mr = await this.http.request('GET', `/projects/${projectId}/merge_requests/${iid}`, {
      schema: mergeRequestSchema,
    });
    return mergeRequest(mr);
  }

  async createMergeRequest(input: NewMergeRequest): Promise<ForgeMergeRequest> {
    const mr = await this.http.request('POST', `/projects/${input.projectId}/merge_requests`, {
      body: {
        source_branch: input.sourceBranch,
        target_branch: input.targetBranch,
        title: input.title,
        description: input.description,
        remove_source_branch: input.removeSourceBranch ?? true,
      },
      schema: mergeRequestSchema,
    });
    return mergeRequest(mr);
  }

  async listMergeRequests(
    projectId: number,
    filter: { sourceBranch: string; state?: 'opened' | 'all' },
  ): Promise<ForgeMergeRequest[]> {
    const list = await this.http.all(`/projects/${projectId}/merge_requests`, {
      query: { source_branch: filter.sourceBranch, state: filter.state ?? 'opened' },
      schema: mergeRequestsSchema,
    });
    return list.map(mergeRequest);
  }

  async getMergeRequestDiffs(projectId: number, iid: number): Promise<ForgeDiff[]> {
    const diffs = await this.http.all(`/projects/${projectId}/merge_requests/${iid}/diffs`, {
      schema: diffsSchema,
    });
    return diffs.map((d) => ({
      oldPath: d.old_path,
      newPath: d.new_path,
      diff: d.diff ?? '',
      newFile: d.new_file,
      renamedFile: d.renamed_file,
      deletedFile: d.deleted_file,
    }));
  }

  async listNotes(
    noteable: NoteableAddress,
    options: { latest?: number } = {},
  ): Promise<ForgeNote[]> {
    // Newest first, so that a bounded read keeps the notes that matter and stops early.
    const newest = await this.http.all(`${noteablePath(noteable)}/notes`, {
      query: { sort: 'desc', order_by: 'created_at' },
      schema: notesSchema,
      ...(options.latest === undefined ? {} : { maxItems: options.latest }),
    });
    const notes = newest.reverse();
    return notes.map((n) => ({
      id: n.id,
      body: n.body,
      author: { id: n.author.id, username: n.author.username, name: n.author.name },
      system: n.system,
      createdAt: n.created_at,
    }));
  }

  async createNote(
    noteable: NoteableAddress,
    body: string,
  ): Promise<{ id: number; discussionId: string }> {
    // A new discussion, not a plain note: the REST note entity has no discussion id, and
    // Baton needs the thread to reply in later.
    const discussion = await this.http.request('POST', `${noteablePath(noteable)}/discussions`, {
      body: { body },
      schema: discussionSchema,
    });
    const [first] = discussion.notes;
    if (!first)
      throw new AppError('FORGE_BAD_RESPONSE', 'GitLab created a discussion without a note');
    return { id: first.id, discussionId: discussion.id };
  }

  async replyToDiscussion(
    noteable: NoteableAddress,
    discussionId: string,
    body: string,
  ): Promise<{ id: number; discussionId: string }> {
    const note = await this.http.request(
      'POST',
      `${noteablePath(noteable)}/discussions/${enc(discussionId)}/notes`,
      { body: { body }, schema: noteIdSchema },
    );
    return { id: note.id, discussionId };
  }

  async updateNote(noteable: NoteableAddress, noteId: number, body: string): Promise<void> {
    await this.http.request('PUT', `${noteablePath(noteable)}/notes/${noteId}`, {
      body: { body },
      schema: noteIdSchema,
    });
  }

  async readFile(projectId: number, filePath: string, ref: string): Promise<string | null> {
    try {
      return await this.http.request(
        'GET',
        `/projects/${projectId}/repository/files/${enc(filePath)}`,
        {
          query: { ref },
          schema: fileSchema,
        },
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORGE_NOT_FOUND') return null;
      throw error;
    }
  }
}
