import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ForgeContext } from '../forge-context.ts';
import { forbidden, notFound } from '../forge-error.ts';
import { paginate } from '../pagination.ts';
import { parseParams } from '../params.ts';
import { awardEntity } from '../presenters/notes.ts';
import type { AwardEmoji } from '../state/types.ts';
import { pathParam } from './path-params.ts';
import {
  findNoteIn,
  noteablePrefixes,
  requireCanComment,
  resolveNoteable,
  type NoteableKind,
} from './noteables.ts';

const awardParams = z.object({ name: z.string().regex(/^[a-z0-9_+-]+$/) });

/** Emoji reactions on notes and on issues/MRs themselves. Awarding fires no Emoji Hook here (see readme). */
export function registerAwardEmojiRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  for (const kind of ['issues', 'merge_requests'] as NoteableKind[]) {
    registerOn(app, ctx, kind, `${noteablePrefixes[kind]}/notes/:note_id/award_emoji`, true);
    registerOn(app, ctx, kind, `${noteablePrefixes[kind]}/award_emoji`, false);
  }
}

function registerOn(
  app: FastifyInstance,
  ctx: ForgeContext,
  kind: NoteableKind,
  path: string,
  onNote: boolean,
): void {
  const awardable = (request: FastifyRequest) => {
    const { actor, noteable } = resolveNoteable(ctx, request, kind);
    if (onNote) {
      const note = findNoteIn(ctx, noteable, pathParam(request, 'note_id'));
      return { actor, noteable, type: 'Note' as const, id: note.id };
    }
    return {
      actor,
      noteable,
      type: noteable.type === 'Issue' ? ('Issue' as const) : ('MergeRequest' as const),
      id: noteable.id,
    };
  };
  const awardsOf = (type: AwardEmoji['awardableType'], id: number) =>
    [...ctx.state.awards.values()].filter((a) => a.awardableType === type && a.awardableId === id);

  app.get(path, (request, reply) => {
    const target = awardable(request);
    return paginate(request, reply, ctx.urls, awardsOf(target.type, target.id)).map((a) =>
      awardEntity(ctx.urls, ctx.state, a),
    );
  });

  app.get(`${path}/:award_id`, (request) => {
    const target = awardable(request);
    const award = awardsOf(target.type, target.id).find(
      (a) => a.id === Number(pathParam(request, 'award_id')),
    );
    if (award === undefined) throw notFound('Award Emoji');
    return awardEntity(ctx.urls, ctx.state, award);
  });

  app.post(path, async (request, reply) => {
    const target = awardable(request);
    requireCanComment(target.noteable);
    const { name } = parseParams(request, awardParams);
    const existing = awardsOf(target.type, target.id).find(
      (a) => a.name === name && a.userId === target.actor.user.id,
    );
    if (existing !== undefined) {
      return reply.status(400).send({ message: { name: ['has already been taken'] } });
    }
    const now = Date.now();
    const award: AwardEmoji = {
      id: ctx.state.nextId('award'),
      name,
      userId: target.actor.user.id,
      awardableType: target.type,
      awardableId: target.id,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.awards.set(award.id, award);
    return reply.status(201).send(awardEntity(ctx.urls, ctx.state, award));
  });

  app.delete(`${path}/:award_id`, async (request, reply) => {
    const target = awardable(request);
    const award = awardsOf(target.type, target.id).find(
      (a) => a.id === Number(pathParam(request, 'award_id')),
    );
    if (award === undefined) throw notFound('Award Emoji');
    if (award.userId !== target.actor.user.id && !target.actor.user.admin) throw forbidden();
    ctx.state.awards.delete(award.id);
    return reply.status(204).send();
  });
}
