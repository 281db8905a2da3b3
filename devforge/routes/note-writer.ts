import type { ForgeContext } from '../forge-context.ts';
import { notFound } from '../forge-error.ts';
import type { DiffPosition, Discussion, Note, User } from '../state/types.ts';
import type { Noteable } from './noteables.ts';

export interface NewNote {
  body: string;
  internal: boolean;
  /** Start a thread (`DiscussionNote`/`DiffNote`) rather than a plain comment. */
  thread: boolean;
  position: DiffPosition | null;
}

/** Every note belongs to a discussion; a plain comment is an "individual note" discussion. */
export function createNote(
  ctx: ForgeContext,
  author: User,
  noteable: Noteable,
  input: NewNote,
): Note {
  const now = Date.now();
  const discussion: Discussion = {
    id: ctx.state.newDiscussionId(),
    noteableType: noteable.type,
    noteableId: noteable.id,
    individualNote: !input.thread,
    noteIds: [],
  };
  const note: Note = {
    id: ctx.state.nextId('note'),
    discussionId: discussion.id,
    type: input.position !== null ? 'DiffNote' : input.thread ? 'DiscussionNote' : null,
    body: input.body,
    authorId: author.id,
    noteableType: noteable.type,
    noteableId: noteable.id,
    noteableIid: noteable.iid,
    projectId: noteable.project?.id ?? null,
    internal: input.internal,
    system: false,
    position: input.position,
    commitId: null,
    resolvable: input.thread && noteable.type === 'MergeRequest',
    resolvedById: null,
    resolvedAt: null,
    createdAt: now,
    updatedAt: now,
    updatedById: null,
  };
  discussion.noteIds.push(note.id);
  ctx.state.discussions.set(discussion.id, discussion);
  ctx.state.notes.set(note.id, note);
  touch(noteable, now);
  return note;
}

/** Replying to a plain comment turns it into a thread, as on GitLab. */
export function replyToDiscussion(
  ctx: ForgeContext,
  author: User,
  noteable: Noteable,
  discussion: Discussion,
  body: string,
  internal: boolean,
): Note {
  const first = ctx.state.notesOf(discussion)[0];
  if (first === undefined) throw notFound('Discussion');
  if (discussion.individualNote) {
    discussion.individualNote = false;
    if (first.type === null) first.type = 'DiscussionNote';
    first.resolvable = noteable.type === 'MergeRequest';
  }
  const now = Date.now();
  const note: Note = {
    ...first,
    id: ctx.state.nextId('note'),
    type: first.type === 'DiffNote' ? 'DiffNote' : 'DiscussionNote',
    body,
    authorId: author.id,
    internal: internal || first.internal,
    resolvedById: null,
    resolvedAt: null,
    createdAt: now,
    updatedAt: now,
    updatedById: null,
  };
  discussion.noteIds.push(note.id);
  ctx.state.notes.set(note.id, note);
  touch(noteable, now);
  return note;
}

export function deleteNote(ctx: ForgeContext, note: Note): void {
  ctx.state.notes.delete(note.id);
  const discussion = ctx.state.discussions.get(note.discussionId);
  if (discussion === undefined) return;
  discussion.noteIds = discussion.noteIds.filter((id) => id !== note.id);
  if (discussion.noteIds.length === 0) ctx.state.discussions.delete(discussion.id);
  for (const award of ctx.state.awards.values()) {
    if (award.awardableType === 'Note' && award.awardableId === note.id)
      ctx.state.awards.delete(award.id);
  }
}

function touch(noteable: Noteable, now: number): void {
  const target = noteable.issue ?? noteable.mergeRequest ?? noteable.epic;
  if (target !== undefined) target.updatedAt = now;
}
