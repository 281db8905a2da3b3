import type { ForgeApi, NoteableAddress } from '../../forges/forge.ts';
import type { FinalNote } from './final-note.ts';

export interface FinalNoteTarget {
  noteable: NoteableAddress;
  /** Baton's progress note in the thread, when it managed to post one. */
  ackNoteId: number | null;
  /** The thread the run answers in. */
  discussionId: string | null;
}

/**
 * Writes the run's one final note: edits the progress note into it, or replies in the thread
 * (the agent's answer, or when there is no progress note to edit), or opens a thread as a last
 * resort. Returns the id of the note that holds the answer.
 */
export async function postFinalNote(
  api: ForgeApi,
  target: FinalNoteTarget,
  note: FinalNote,
): Promise<{ noteId: number }> {
  if (note.placement === 'edit' && target.ackNoteId !== null) {
    await api.updateNote(target.noteable, target.ackNoteId, note.body);
    return { noteId: target.ackNoteId };
  }
  if (target.discussionId !== null) {
    const reply = await api.replyToDiscussion(target.noteable, target.discussionId, note.body);
    return { noteId: reply.id };
  }
  const created = await api.createNote(target.noteable, note.body);
  return { noteId: created.id };
}
