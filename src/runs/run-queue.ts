import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema, RunStatus } from '../db/schema.ts';

export const activeStatuses = ['preparing', 'running', 'publishing'] as const satisfies RunStatus[];
export const finalStatuses = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const satisfies RunStatus[];
export type FinalStatus = (typeof finalStatuses)[number];

export interface RunLimits {
  /** Runs at once on all Baton processes sharing the database. */
  global: number;
  /** Runs at once in one project. */
  perProject: number;
}

/** Serialises claims across processes, so limits hold even when two claim at once. */
const claimLockKey = 0x6261746f; // "bato"

/**
 * Runs are the queue. A claim takes the oldest queued run that fits the limits — global, per
 * project, and one active run per issue or merge request (a later mention waits its turn) —
 * and marks it `preparing` for `owner`, all under one transaction-scoped advisory lock.
 */
export class RunQueue {
  readonly #db: Kysely<DatabaseSchema>;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  async claim(owner: string, limits: RunLimits): Promise<string | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${claimLockKey})`.execute(trx);
      const result = await sql<{ id: string }>`
        update runs set status = 'preparing', owner = ${owner}, heartbeat_at = now(), updated_at = now()
         where id = (
           select r.id from runs r
            where r.status = 'queued'
              and (select count(*) from runs a where a.status in ('preparing', 'running', 'publishing')) < ${limits.global}
              and (select count(*) from runs a
                    where a.status in ('preparing', 'running', 'publishing')
                      and a.connection_id = r.connection_id and a.project_id = r.project_id) < ${limits.perProject}
              and not exists (
                    select 1 from runs a
                     where a.status in ('preparing', 'running', 'publishing')
                       and a.connection_id = r.connection_id and a.project_id = r.project_id
                       and a.noteable->>'type' = r.noteable->>'type'
                       and a.noteable->>'iid' = r.noteable->>'iid')
            order by r.created_at, r.id
            limit 1
            for update skip locked)
        returning id`.execute(trx);
      const id = result.rows[0]?.id;
      if (id !== undefined) {
        await trx
          .insertInto('run_transitions')
          .values({
            run_id: id,
            from_status: 'queued',
            to_status: 'preparing',
            reason: `claimed by ${owner}`,
          })
          .execute();
      }
      return id;
    });
  }

  /**
   * Moves a run from `from` to `to` and records why; false when the run was no longer in `from`
   * (cancelled or recovered meanwhile), so the caller stops.
   */
  async transition(
    id: string,
    from: RunStatus | readonly RunStatus[],
    to: RunStatus,
    reason: string,
    extra: { failure?: string | null; result?: unknown } = {},
  ): Promise<boolean> {
    const fromList: RunStatus[] = Array.isArray(from)
      ? [...(from as RunStatus[])]
      : [from as RunStatus];
    return this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('runs')
        .select('status')
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!current || !fromList.includes(current.status)) return false;
      await trx
        .updateTable('runs')
        .set({
          status: to,
          updated_at: new Date(),
          ...(to === 'running' ? { started_at: new Date() } : {}),
          ...((finalStatuses as readonly RunStatus[]).includes(to)
            ? { finished_at: new Date(), owner: null }
            : {}),
          ...(extra.failure !== undefined ? { failure: extra.failure } : {}),
          ...(extra.result !== undefined ? { result: JSON.stringify(extra.result) } : {}),
        })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('run_transitions')
        .values({ run_id: id, from_status: current.status, to_status: to, reason })
        .execute();
      return true;
    });
  }

  async heartbeat(owner: string): Promise<void> {
    await this.#db
      .updateTable('runs')
      .set({ heartbeat_at: new Date() })
      .where('owner', '=', owner)
      .where('status', 'in', activeStatuses)
      .execute();
  }

  async requestCancel(id: string, by: string): Promise<RunStatus | undefined> {
    const row = await this.#db
      .updateTable('runs')
      .set({ cancel_requested_by: by, updated_at: new Date() })
      .where('id', '=', id)
      .returning(['status'])
      .executeTakeFirst();
    return row?.status;
  }

  async cancelRequested(id: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('runs')
      .select('cancel_requested_by')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.cancel_requested_by ?? null;
  }

  /** Active runs whose owner has been silent for `staleMs` (a killed process), or owned by `owner`. */
  async orphaned(options: {
    staleMs: number;
    owner?: string;
  }): Promise<{ id: string; status: RunStatus }[]> {
    const cutoff = new Date(Date.now() - options.staleMs);
    return this.#db
      .selectFrom('runs')
      .select(['id', 'status'])
      .where('status', 'in', activeStatuses)
      .where((eb) =>
        eb.or([
          eb('heartbeat_at', '<', cutoff),
          eb('heartbeat_at', 'is', null),
          ...(options.owner === undefined ? [] : [eb('owner', '=', options.owner)]),
        ]),
      )
      .execute();
  }

  /** Active or queued runs on one issue or merge request, oldest first. */
  async onNoteable(input: {
    connectionId: string;
    projectId: number;
    type: string;
    iid: number;
  }): Promise<{ id: string; status: RunStatus; serviceAccountId: number }[]> {
    return this.#db
      .selectFrom('runs')
      .select(['id', 'status', 'service_account_id as serviceAccountId'])
      .where('connection_id', '=', input.connectionId)
      .where('project_id', '=', input.projectId)
      .where(sql<string>`noteable->>'type'`, '=', input.type)
      .where(sql<string>`noteable->>'iid'`, '=', String(input.iid))
      .where('status', 'in', ['queued', ...activeStatuses])
      .orderBy('created_at')
      .execute();
  }
}
