import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RunStatus } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { isRunOutcome, type RunEvents } from '../runs/run-events.ts';
import type { RunLogStore } from '../runs/run-log.ts';
import type { Run, RunStore } from '../runs/run-store.ts';
import type { RunAccess } from './run-access.ts';
import { toRunView, type RunView } from './run-view.ts';

export interface RunRoutesDeps {
  runs: RunStore;
  logs: RunLogStore;
  events: RunEvents;
  /** Asks the executor to stop a run; `by` says who asked, for the timeline and audit. */
  cancelRun: (id: string, by: string) => Promise<{ cancelled: boolean; status: RunStatus }>;
  auth: RunAccess;
  /** The GitLab address of a connection, for links back to the project and thread. */
  forgeBaseUrl?: (connectionId: string) => string | undefined;
  /** Comment lines that keep proxies from closing a quiet event stream. Default 15 s. */
  heartbeatMs?: number;
}

export const runIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);
export const offsetSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const logQuerySchema = z
  .object({ t: z.string().optional(), offset: offsetSchema.optional() })
  .strict();

export function parseQuery<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw new AppError('BAD_REQUEST', 'Invalid query', {
    details: {
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  });
}

/** An id that cannot be a run is a missing run, as far as callers can tell. */
export function runIdOf(request: FastifyRequest): string {
  const parsed = runIdSchema.safeParse((request.params as { id?: unknown }).id);
  if (!parsed.success) throw new AppError('NOT_FOUND', 'No such run');
  return parsed.data;
}

function refuse(reply: FastifyReply, message: string): AppError {
  reply.header('www-authenticate', 'Bearer realm="baton"');
  return new AppError('UNAUTHORIZED', message);
}

/** Checked before the run is looked up, so that a refusal says nothing about whether it exists. */
export function requireViewer(
  deps: RunRoutesDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
) {
  if (deps.auth.verify(request, id) === undefined) {
    throw refuse(reply, 'Open this run from its link in GitLab, or send the admin token');
  }
}

export function requireAdmin(
  deps: RunRoutesDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  id?: string,
) {
  if (deps.auth.isAdmin(request)) return;
  if (id !== undefined && deps.auth.verify(request, id) === 'viewer') {
    throw new AppError(
      'FORBIDDEN',
      'Cancelling needs the admin token; anyone who may trigger the agent can write `stop` to it in the GitLab thread',
    );
  }
  throw refuse(reply, 'Send the admin token as `Authorization: Bearer <token>`');
}

export async function findRun(runs: RunStore, id: string): Promise<Run> {
  const run = await runs.get(id);
  if (run === undefined) throw new AppError('NOT_FOUND', 'No such run');
  return run;
}

export async function loadRunView(deps: RunRoutesDeps, run: Run): Promise<RunView> {
  const [transitions, snapshot] = await Promise.all([
    deps.runs.transitions(run.id),
    deps.logs.snapshot(run.id),
  ]);
  return toRunView({
    run,
    transitions,
    snapshot,
    forgeBaseUrl: deps.forgeBaseUrl?.(run.connectionId),
  });
}

/** Cancels an active run: 200 when it has stopped, 202 while it is stopping, 409 if it had ended. */
export async function cancelActiveRun(
  deps: RunRoutesDeps,
  id: string,
  by: string,
): Promise<{ code: 200 | 202; status: RunStatus }> {
  const run = await findRun(deps.runs, id);
  if (isRunOutcome(run.status)) {
    throw new AppError('CONFLICT', 'The run has already ended', {
      details: { status: run.status },
    });
  }
  const result = await deps.cancelRun(id, by);
  if (!result.cancelled) {
    throw new AppError('CONFLICT', 'The run could not be cancelled', {
      details: { status: result.status },
    });
  }
  return { code: isRunOutcome(result.status) ? 200 : 202, status: result.status };
}
