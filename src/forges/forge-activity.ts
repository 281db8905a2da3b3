/**
 * Forge-neutral description of what happened on a forge, as the trigger stage sees it. Each
 * forge adapter turns its own webhook bodies into one of these; nothing downstream of intake
 * reads a forge's payload shape.
 */

export interface ForgeUser {
  id: number;
  username: string;
  name: string;
}

export type Noteable =
  | { type: 'issue'; projectId: number; projectPath: string; id: number; iid: number }
  | {
      type: 'merge_request';
      projectId: number;
      projectPath: string;
      id: number;
      iid: number;
      sourceBranch: string | null;
      targetBranch: string | null;
    };

export type ForgeActivity =
  | {
      kind: 'comment';
      action: 'create' | 'update';
      actor: ForgeUser;
      noteable: Noteable;
      noteId: number;
      body: string;
      /** The thread to reply in; null when the forge did not say. */
      discussionId: string | null;
      internal: boolean;
    }
  | { kind: 'assigned'; actor: ForgeUser; noteable: Noteable; added: ForgeUser[] }
  | { kind: 'review_requested'; actor: ForgeUser; noteable: Noteable; added: ForgeUser[] };

/**
 * The outcome of reading one webhook delivery: things to act on (an MR update can add a
 * reviewer and an assignee at once), something deliberately
 * ignored (answered 200, recorded with its reason), or a body that is not what it claims (400).
 */
export type WebhookReading =
  | { outcome: 'activities'; activities: [ForgeActivity, ...ForgeActivity[]] }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'invalid'; problems: string[] };
