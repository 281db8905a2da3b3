import type { ForgeConnection } from '../forges/connection-store.ts';
import type { CatalogFlow, CatalogStore } from '../flows/catalog-store.ts';
import { AppError, type ErrorCode } from '../errors/app-error.ts';
import type { ConnectionStore } from '../forges/connection-store.ts';

/**
 * A referenced resource that does not exist is a 404 when it is the one the URL names, and a
 * 400 when a request body refers to it (the request, not the URL, is wrong).
 */
export type Missing = { as: 'NOT_FOUND' } | { as: 'BAD_REQUEST'; at: string };

function missing(how: Missing, message: string): AppError {
  const code: ErrorCode = how.as;
  return new AppError(
    code,
    how.as === 'BAD_REQUEST' ? `Invalid request: ${how.at}: ${message}` : message,
  );
}

export async function findConnection(
  store: ConnectionStore,
  id: string,
  how: Missing = { as: 'NOT_FOUND' },
): Promise<ForgeConnection> {
  const connection = (await store.all()).find((c) => c.id === id);
  if (!connection)
    throw missing(how, `No connection ${id}; list them with GET /api/admin/connections`);
  return connection;
}

export async function findFlow(
  catalog: CatalogStore,
  ref: string | number,
  how: Missing = { as: 'NOT_FOUND' },
): Promise<CatalogFlow> {
  const byId = typeof ref === 'number' || /^\d+$/.test(ref);
  const flow = byId
    ? await catalog.get(Number(ref))
    : (await catalog.list()).find((f) => f.name === ref);
  if (!flow) throw missing(how, `No catalog flow ${String(ref)}`);
  return flow;
}

/** Postgres (and PGlite) report a foreign key that still points at a row as SQLSTATE 23503. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23503';
}
