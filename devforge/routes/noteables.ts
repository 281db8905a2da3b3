import type { FastifyRequest } from 'fastify';
import type { Actor, ForgeContext } from '../forge-context.ts';
import { forbidden, notFound } from '../forge-error.ts';
import { accessLevels } from '../state/access-levels.ts';
import type {
  Epic,
  Group,
  Issue,
  MergeRequest,
  Note,
  NoteableType,
  Project,
} from '../state/types.ts';
import { noteHookPayload } from '../webhooks/hook-payloads.ts';
import type { HookTarget } from '../webhooks/webhook-dispatcher.ts';
import { pathParam } from './path-params.ts';
import {
  findEpic,
  findGroup,
  findIssue,
  findMergeRequest,
  findProject,
  levelOnGroup,
  levelOnProject,
} from './resolve.ts';

export type NoteableKind = 'issues' | 'merge_requests' | 'epics';

export const noteablePrefixes: Record<NoteableKind, string> = {
  issues: '/api/v4/projects/:id/issues/:noteable_iid',
  merge_requests: '/api/v4/projects/:id/merge_requests/:noteable_iid',
  epics: '/api/v4/groups/:id/epics/:noteable_iid',
};

/** An issue, merge request or epic, with what the notes routes need to know about it. */
export interface Noteable {
  type: NoteableType;
  id: number;
  iid: number;
  project: Project | null;
  group: Group | null;
  issue?: Issue;
  mergeRequest?: MergeRequest;
  epic?: Epic;
  /** The caller's effective access level where the noteable lives. */
  level: number;
}

export function resolveNoteable(
  ctx: ForgeContext,
  request: FastifyRequest,
  kind: NoteableKind,
): { actor: Actor; noteable: Noteable } {
  const actor = ctx.actor(request);
  const rawIid = pathParam(request, 'noteable_iid');
  if (kind === 'epics') {
    const group = findGroup(ctx, actor, pathParam(request, 'id'));
    const epic = findEpic(ctx, group, rawIid);
    const level = levelOnGroup(ctx, actor, group);
    return {
      actor,
      noteable: { type: 'Epic', id: epic.id, iid: epic.iid, project: null, group, epic, level },
    };
  }
  const project = findProject(ctx, actor, pathParam(request, 'id'));
  const level = levelOnProject(ctx, actor, project);
  const group = ctx.state.groups.get(project.namespaceId) ?? null;
  if (kind === 'issues') {
    const issue = findIssue(ctx, project, rawIid);
    const insider =
      level >= accessLevels.reporter ||
      issue.authorId === actor.user.id ||
      issue.assigneeIds.includes(actor.user.id);
    if (issue.confidential && !insider) throw notFound();
    return {
      actor,
      noteable: { type: 'Issue', id: issue.id, iid: issue.iid, project, group, issue, level },
    };
  }
  const mergeRequest = findMergeRequest(ctx, project, rawIid);
  return {
    actor,
    noteable: {
      type: 'MergeRequest',
      id: mergeRequest.id,
      iid: mergeRequest.iid,
      project,
      group,
      mergeRequest,
      level,
    },
  };
}

/** Guests may comment; on public projects and groups anyone signed in may. */
export function requireCanComment(noteable: Noteable): void {
  const visibility = noteable.project?.visibility ?? noteable.group?.visibility ?? 'private';
  if (noteable.level < accessLevels.guest && visibility === 'private') throw forbidden();
}

export function findNoteIn(ctx: ForgeContext, noteable: Noteable, rawNoteId: string): Note {
  const note = ctx.state.notes.get(/^\d+$/.test(rawNoteId) ? Number(rawNoteId) : -1);
  if (
    note === undefined ||
    note.noteableType !== noteable.type ||
    note.noteableId !== noteable.id
  ) {
    throw notFound('Note');
  }
  return note;
}

/** Internal notes are visible to Reporters and above only. */
export function canSeeNote(noteable: Noteable, actor: Actor, note: Note): boolean {
  return (
    !note.internal || noteable.level >= accessLevels.reporter || note.authorId === actor.user.id
  );
}

function hookTarget(ctx: ForgeContext, noteable: Noteable): HookTarget {
  if (noteable.project !== null) {
    return {
      projectId: noteable.project.id,
      groupIds: ctx.state.groupChain(noteable.project.namespaceId).map((g) => g.id),
    };
  }
  return {
    projectId: null,
    groupIds:
      noteable.group === null ? [] : ctx.state.groupChain(noteable.group.id).map((g) => g.id),
  };
}

/**
 * Note Hook for every non-system note, bot-authored ones included (as on GitLab). Epic notes go
 * to group hooks: GitLab documents no Note Hook for them (see readme).
 */
export function emitNoteHook(
  ctx: ForgeContext,
  request: FastifyRequest,
  actor: Actor,
  noteable: Noteable,
  note: Note,
  action: 'create' | 'update',
): void {
  if (note.system) return;
  const subject = {
    project: noteable.project,
    ...(noteable.issue === undefined ? {} : { issue: noteable.issue }),
    ...(noteable.mergeRequest === undefined ? {} : { mergeRequest: noteable.mergeRequest }),
    ...(noteable.epic === undefined
      ? {}
      : { epic: noteable.epic, groupPath: noteable.group?.fullPath ?? '' }),
  };
  const { payload, confidential } = noteHookPayload(
    ctx.urls,
    ctx.state,
    actor.user,
    note,
    subject,
    action,
  );
  ctx.webhooks.enqueue(request, hookTarget(ctx, noteable), {
    flag: confidential ? 'confidential_note_events' : 'note_events',
    name: confidential ? 'Confidential Note Hook' : 'Note Hook',
    payload,
  });
}
