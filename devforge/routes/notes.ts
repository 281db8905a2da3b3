import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { forbidden } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { boolParam, parseParams } from '../params.ts';
import { noteEntity } from '../presenters/notes.ts';
import { accessLevels } from '../state/access-levels.ts';
import { pathParam } from './path-params.ts';
import { createNote, deleteNote } from './note-writer.ts';
import {
  canSeeNote,
  emitNoteHook,
  findNoteIn,
  noteablePrefixes,
  requireCanComment,
  resolveNoteable,
  type NoteableKind,
} from './noteables.ts';

export const noteBody = z.string().min(1).max(1_000_000);

const listParams = z.object({
  sort: z.enum(['asc', 'desc']).default('desc'),
  order_by: z.enum(['created_at', 'updated_at']).default('created_at'),
});

const createParams = z.object({
  body: noteBody,
  internal: boolParam.optional(),
  confidential: boolParam.optional(),
});

const editParams = z.object({ body: noteBody });

export function registerNoteRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  for (const kind of Object.keys(noteablePrefixes) as NoteableKind[]) registerFor(app, ctx, kind);
}

function registerFor(app: FastifyInstance, ctx: ForgeContext, kind: NoteableKind): void {
  const prefix = noteablePrefixes[kind];

  app.get(`${prefix}/notes`, (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const { sort, order_by } = parseParams(request, listParams);
    const key = order_by === 'created_at' ? 'createdAt' : 'updatedAt';
    const notes = [...ctx.state.notes.values()]
      .filter((n) => n.noteableType === noteable.type && n.noteableId === noteable.id)
      .filter((n) => canSeeNote(noteable, actor, n))
      .sort((a, b) => (a[key] - b[key] || a.id - b.id) * (sort === 'asc' ? 1 : -1));
    return paginate(request, reply, ctx.urls, notes).map((n) => noteEntity(ctx.urls, ctx.state, n));
  });

  app.get(`${prefix}/notes/:note_id`, (request) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const note = findNoteIn(ctx, noteable, pathParam(request, 'note_id'));
    if (!canSeeNote(noteable, actor, note)) throw forbidden();
    return noteEntity(ctx.urls, ctx.state, note);
  });

  app.post(`${prefix}/notes`, async (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    requireCanComment(noteable);
    const params = parseParams(request, createParams);
    const internal = params.internal ?? params.confidential ?? false;
    const note = createNote(ctx, actor.user, noteable, {
      body: params.body,
      internal,
      thread: false,
      position: null,
    });
    emitNoteHook(ctx, request, actor, noteable, note, 'create');
    return reply.status(201).send(noteEntity(ctx.urls, ctx.state, note));
  });

  app.put(`${prefix}/notes/:note_id`, (request) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const note = findNoteIn(ctx, noteable, pathParam(request, 'note_id'));
    if (note.authorId !== actor.user.id && !actor.user.admin) throw forbidden();
    const { body } = parseParams(request, editParams);
    if (body !== note.body) {
      note.body = body;
      note.updatedAt = Date.now();
      note.updatedById = actor.user.id;
      emitNoteHook(ctx, request, actor, noteable, note, 'update');
    }
    return noteEntity(ctx.urls, ctx.state, note);
  });

  app.delete(`${prefix}/notes/:note_id`, async (request, reply) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    const note = findNoteIn(ctx, noteable, pathParam(request, 'note_id'));
    if (note.authorId !== actor.user.id && noteable.level < accessLevels.maintainer)
      throw forbidden();
    deleteNote(ctx, note);
    return reply.status(204).send();
  });
}
