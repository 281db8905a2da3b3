import type { ForgeUrls } from '../forge-urls.ts';
import type { ForgeState } from '../state/forge-state.ts';
import type { AwardEmoji, Discussion, Note } from '../state/types.ts';
import { isoTime, isoTimeOrNull } from './time.ts';
import { userBasic } from './users.ts';

/** REST note entity. GitLab does not expose `discussion_id` here (only in webhooks and discussions). */
export function noteEntity(urls: ForgeUrls, state: ForgeState, note: Note) {
  const author = state.users.get(note.authorId);
  const resolvedBy = note.resolvedById === null ? undefined : state.users.get(note.resolvedById);
  const entity: Record<string, unknown> = {
    id: note.id,
    type: note.type,
    body: note.body,
    author: author === undefined ? null : userBasic(urls, author),
    created_at: isoTime(note.createdAt),
    updated_at: isoTime(note.updatedAt),
    system: note.system,
    noteable_id: note.noteableId,
    noteable_type: note.noteableType,
    project_id: note.projectId,
    commit_id: note.commitId,
    resolvable: note.resolvable,
    confidential: note.internal,
    internal: note.internal,
    imported: false,
    imported_from: 'none',
    noteable_iid: note.noteableIid,
    commands_changes: {},
  };
  if (note.position !== null) entity.position = note.position;
  if (note.resolvable) {
    entity.resolved = note.resolvedAt !== null;
    entity.resolved_by = resolvedBy === undefined ? null : userBasic(urls, resolvedBy);
    entity.resolved_at = isoTimeOrNull(note.resolvedAt);
  }
  return entity;
}

export function discussionEntity(urls: ForgeUrls, state: ForgeState, discussion: Discussion) {
  return {
    id: discussion.id,
    individual_note: discussion.individualNote,
    notes: state.notesOf(discussion).map((note) => noteEntity(urls, state, note)),
  };
}

export function awardEntity(urls: ForgeUrls, state: ForgeState, award: AwardEmoji) {
  const user = state.users.get(award.userId);
  return {
    id: award.id,
    name: award.name,
    user: user === undefined ? null : userBasic(urls, user),
    created_at: isoTime(award.createdAt),
    updated_at: isoTime(award.updatedAt),
    awardable_id: award.awardableId,
    awardable_type: award.awardableType,
    url: null,
  };
}
