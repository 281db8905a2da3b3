import { z } from 'zod';
import type { RunStatus } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Run, RunStore } from '../runs/run-store.ts';
import { toRunSummaryView, type RunSummaryView } from './run-view.ts';

const statuses = [
  'queued',
  'preparing',
  'running',
  'publishing',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const satisfies readonly RunStatus[];

export const listQuerySchema = z
  .object({
    status: z.enum(statuses).optional(),
    project: z.string().min(1).max(255).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export type ListQuery = z.infer<typeof listQuerySchema>;

/**
 * How many recent runs a listing looks through. RunStore.list takes only a limit today; until it
 * filters and pages in SQL, older runs are not listed (see the report of the runs API).
 */
export const listScanLimit = 1000;

const cursorSchema = z.object({ c: z.string(), i: z.string() }).strict();

function encodeCursor(run: Run): string {
  return Buffer.from(JSON.stringify({ c: run.createdAt.toISOString(), i: run.id })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { c: string; i: string } {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new AppError('BAD_REQUEST', 'Invalid cursor');
  }
}

/** Newest first; ties on time broken by id, so that pages neither repeat nor skip. */
function newerFirst(a: Run, b: Run): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  return byTime !== 0 ? byTime : b.id.localeCompare(a.id);
}

export async function listRuns(
  runs: RunStore,
  query: ListQuery,
): Promise<{ runs: RunSummaryView[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const afterTime = after === undefined ? undefined : new Date(after.c).getTime();
  const matching = (await runs.list({ limit: listScanLimit }))
    .filter((run) => query.status === undefined || run.status === query.status)
    .filter((run) => query.project === undefined || run.projectPath === query.project)
    .sort(newerFirst)
    .filter((run) => {
      if (after === undefined || afterTime === undefined) return true;
      const time = run.createdAt.getTime();
      return time < afterTime || (time === afterTime && run.id.localeCompare(after.i) < 0);
    });
  const page = matching.slice(0, query.limit);
  const last = page.at(-1);
  return {
    runs: page.map(toRunSummaryView),
    nextCursor: matching.length > query.limit && last !== undefined ? encodeCursor(last) : null,
  };
}
