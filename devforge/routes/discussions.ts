import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { badRequest, forbidden, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, intParam, parseParams } from '../params.ts';
import { discussionEntity, noteEntity } from '../presenters/notes.ts';
import { accessLevels } from '../state/access-levels.ts';
import type { DiffPosition, Discussion } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import { createNote, deleteNote, replyToDiscussion } from './note-writer.ts';
import {
  canSeeNote,
  emitNoteHook,
  noteablePrefixes,
  requireCanComment,
  resolveNoteable,
  type Noteable,
  type NoteableKind,
} from './noteables.ts';
import { noteBody } from './notes.ts';

const sha = z.string().regex(/^[0-9a-f]{7,40}$/);

const positionParams = z.object({
  base_sha: sha,
  start_sha: sha,
  head_sha: sha,
  position_type: z.enum(['text', 'image', 'file']),
  old_path: z.string().optional(),
  new_path: z.string().optional(),
  old_line: intParam.nullable().optional(),
  new_line: intParam.nullable().optional(),
  line_range: z.unknown().optional(),
});

const createParams = z.object({
  body: noteBody,
  internal: boolParam.optional(),
  confidential: boolParam.optional(),
  position: positionParams.optional(),
});

const replyParams = z.object({ body: noteBody, internal: boolParam.optional() });
const resolveParams = z.object({ resolved: boolParam });
const editNoteParams = z.object({ body: noteBody.optional(), resolved: boolParam.optional() });

function toPosition(input: z.output<typeof positionParams>): DiffPosition {
  return {
    base_sha: input.base_sha,
    start_sha: input.start_sha,
    head_sha: input.head_sha,
    position_type: input.position_type,
    old_path: input.old_path ?? input.new_path ?? null,
    new_path: input.new_path ?? input.old_path ?? null,
    old_line: input.old_line ?? null,
    new_line: input.new_line ?? null,
    line_range: input.line_range ?? null,
  };
}

export function registerDiscussionRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  for (const kind of Object.keys(noteablePrefixes) as NoteableKind[]) registerFor(app, ctx, kind);
}

function findDiscussion(
  ctx: ForgeContext,
  request: FastifyRequest,
  noteable: Noteable,
): Discussion {
  const discussion = ctx.state.discussions.get(pathParam(request, 'discussion_id'));
  if (
    discussion === undefined ||
    discussion.noteableType !== noteable.type ||
    discussion.noteableId !== noteable.id
  ) {
    throw notFound('Discussion');
  }
  return discussion;
}

function registerFor(app: FastifyInstance, ctx: ForgeContext, kind: NoteableKind): void {
  const prefix = `${noteablePrefixes[kind]}/discussions`;
  const present = (discussion: Discussion) => discussionEntity(ctx.urls, ctx.state, discussion);

  app.get(prefix, (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const discussions = ctx.state
      .discussionsOf(noteable.type, noteable.id)
      .filter((d) => ctx.state.notesOf(d).some((n) => canSeeNote(noteable, actor, n)));
    return paginate(request, reply, ctx.urls, discussions).map(present);
  });

  app.get(`${prefix}/:discussion_id`, (request) => {
    const { noteable } = resolveNoteable(ctx, request, kind);
    return present(findDiscussion(ctx, request, noteable));
  });

  app.post(prefix, async (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    requireCanComment(noteable);
    const params = parseParams(request, createParams);
    if (params.position !== undefined && noteable.type !== 'MergeRequest') {
      throw badRequest('400 Bad request - position is only supported on merge requests');
    }
    const note = createNote(ctx, actor.user, noteable, {
      body: params.body,
      internal: params.internal ?? params.confidential ?? false,
      thread: true,
      position: params.position === undefined ? null : toPosition(params.position),
    });
    emitNoteHook(ctx, request, actor, noteable, note, 'create');
    const discussion = ctx.state.discussions.get(note.discussionId);
    if (discussion === undefined) throw notFound('Discussion');
    return reply.status(201).send(present(discussion));
  });

  app.put(`${prefix}/:discussion_id`, (request) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const discussion = findDiscussion(ctx, request, noteable);
    if (noteable.level < accessLevels.developer) throw forbidden();
    const { resolved } = parseParams(request, resolveParams);
    for (const note of ctx.state.notesOf(discussion)) {
      if (!note.resolvable) continue;
      note.resolvedAt = resolved ? Date.now() : null;
      note.resolvedById = resolved ? actor.user.id : null;
    }
    return present(discussion);
  });

  app.post(`${prefix}/:discussion_id/notes`, async (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    requireCanComment(noteable);
    const discussion = findDiscussion(ctx, request, noteable);
    const params = parseParams(request, replyParams);
    const note = replyToDiscussion(
      ctx,
      actor.user,
      noteable,
      discussion,
      params.body,
      params.internal ?? false,
    );
    emitNoteHook(ctx, request, actor, noteable, note, 'create');
    return reply.status(201).send(noteEntity(ctx.urls, ctx.state, note));
  });

  const findNote = (request: FastifyRequest, noteable: Noteable) => {
    const discussion = findDiscussion(ctx, request, noteable);
    const id = Number(pathParam(request, 'note_id'));
    const note = discussion.noteIds.includes(id) ? ctx.state.notes.get(id) : undefined;
    if (note === undefined) throw notFound('Note');
    return note;
  };

  app.put(`${prefix}/:discussion_id/notes/:note_id`, (request) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const note = findNote(request, noteable);
    const params = parseParams(request, editNoteParams);
    if (params.body !== undefined) {
      if (note.authorId !== actor.user.id && !actor.user.admin) throw forbidden();
      note.body = params.body;
      note.updatedAt = Date.now();
      note.updatedById = actor.user.id;
      emitNoteHook(ctx, request, actor, noteable, note, 'update');
    } else if (params.resolved !== undefined && note.resolvable) {
      note.resolvedAt = params.resolved ? Date.now() : null;
      note.resolvedById = params.resolved ? actor.user.id : null;
    } else if (params.resolved === undefined) {
      throw badRequest('400 Bad request - body or resolved is required');
    }
    return noteEntity(ctx.urls, ctx.state, note);
  });

  app.delete(`${prefix}/:discussion_id/notes/:note_id`, async (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const note = findNote(request, noteable);
    if (note.authorId !== actor.user.id && noteable.level < accessLevels.maintainer)
      throw forbidden();
    deleteNote(ctx, note);
    return reply.status(204).send();
  });
}
