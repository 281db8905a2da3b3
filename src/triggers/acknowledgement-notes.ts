/**
 * The notes Baton posts in a thread, worded exactly as GitLab's own flow triggers post them
 * (shared research, gitlab-spec.md §2.4), so people who know GitLab's feature recognise them.
 */

export const processingNote = '🔄 Processing the request and starting the agent...';

export function startedNote(runUrl: string): string {
  return `✅ Agent has started. You can view the progress <a href="${escapeAttribute(runUrl)}" target="_blank" rel="noopener noreferrer">here</a>.`;
}

/** A run that waits for the thread's active run (one run per issue or merge request at a time). */
export function waitingNote(runUrl: string, ahead: number): string {
  const runs = ahead === 1 ? 'another run is' : `${ahead} other runs are`;
  return `⏳ Queued: ${runs} still active or waiting in this thread, and this one starts when ${ahead === 1 ? 'it ends' : 'they end'}. You can view the progress <a href="${escapeAttribute(runUrl)}" target="_blank" rel="noopener noreferrer">here</a>.`;
}

export function couldNotStartNote(error: string): string {
  return `❌ Could not start the agent due to this error: ${error}`;
}

function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
