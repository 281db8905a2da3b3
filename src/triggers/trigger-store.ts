import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { DatabaseSchema, ScopeType, TriggersTable } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { ConfigSnapshot } from './config-snapshot.ts';
import { normalizePath, scopeCovers } from './scope.ts';

export const triggerEventTypes = ['mention', 'assign', 'assign_reviewer'] as const;
export type TriggerEventType = (typeof triggerEventTypes)[number];

export type FlowSource =
  { kind: 'config_path'; path: string } | { kind: 'catalog'; flowId: number };

export interface Trigger {
  id: number;
  connectionId: string;
  scope: { type: ScopeType; path: string };
  description: string;
  eventTypes: TriggerEventType[];
  serviceAccountId: number;
  active: boolean;
  /** Asked from a merge request: push to its source branch instead of opening a new one. */
  pushToSourceBranch: boolean;
  flow: FlowSource;
}

export type NewTrigger = Omit<Trigger, 'id' | 'pushToSourceBranch'> & {
  pushToSourceBranch?: boolean;
};

const eventTypesSchema = z.array(z.enum(triggerEventTypes));

function toTrigger(row: Selectable<TriggersTable>): Trigger {
  const flow: FlowSource =
    row.config_path !== null
      ? { kind: 'config_path', path: row.config_path }
      : { kind: 'catalog', flowId: row.catalog_flow_id ?? 0 };
  return {
    id: row.id,
    connectionId: row.connection_id,
    scope: { type: row.scope_type, path: row.scope_path },
    description: row.description,
    eventTypes: eventTypesSchema.parse(row.event_types),
    serviceAccountId: row.service_account_id,
    active: row.active,
    pushToSourceBranch: row.push_to_source_branch,
    flow,
  };
}

function columns(trigger: NewTrigger) {
  return {
    connection_id: trigger.connectionId,
    scope_type: trigger.scope.type,
    scope_path: normalizePath(trigger.scope.path),
    description: trigger.description,
    event_types: JSON.stringify([...new Set(trigger.eventTypes)]),
    service_account_id: trigger.serviceAccountId,
    active: trigger.active,
    push_to_source_branch: trigger.pushToSourceBranch ?? false,
    config_path: trigger.flow.kind === 'config_path' ? trigger.flow.path : null,
    catalog_flow_id: trigger.flow.kind === 'catalog' ? trigger.flow.flowId : null,
  };
}

/**
 * How long another Baton process's change to the rules may go unseen by this one (this process's
 * own changes are seen at once). Rules change by hand, mentions arrive by the hundred per second.
 */
export const triggerSnapshotTtlMs = 1000;

/** Trigger rules: which service account, on which events, in which project or group, runs what. */
export class TriggerStore {
  readonly #db: Kysely<DatabaseSchema>;
  /** Every rule, for `matching` (the per-mention path); the admin reads go to the database. */
  readonly #snapshot: ConfigSnapshot<readonly Trigger[]>;

  constructor(
    db: Kysely<DatabaseSchema>,
    options: { snapshotTtlMs?: number; now?: () => number } = {},
  ) {
    this.#db = db;
    this.#snapshot = new ConfigSnapshot(
      async () => (await this.list()).map((trigger) => Object.freeze(trigger)),
      {
        ttlMs: options.snapshotTtlMs ?? triggerSnapshotTtlMs,
        ...(options.now ? { now: options.now } : {}),
      },
    );
  }

  async create(trigger: NewTrigger): Promise<Trigger> {
    const row = await this.#db
      .insertInto('triggers')
      .values(columns(trigger))
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#snapshot.invalidate();
    return toTrigger(row);
  }

  async update(id: number, trigger: NewTrigger): Promise<Trigger> {
    const row = await this.#db
      .updateTable('triggers')
      .set({ ...columns(trigger), updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    this.#snapshot.invalidate();
    if (!row) throw new AppError('NOT_FOUND', `Trigger ${id} does not exist`);
    return toTrigger(row);
  }

  async remove(id: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('triggers').where('id', '=', id).executeTakeFirst();
    this.#snapshot.invalidate();
    return result.numDeletedRows > 0n;
  }

  async get(id: number): Promise<Trigger | undefined> {
    const row = await this.#db
      .selectFrom('triggers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toTrigger(row) : undefined;
  }

  /**
   * A rule from the in-memory snapshot (as `matching` sees it): at most `triggerSnapshotTtlMs`
   * behind another process's change.
   */
  async find(id: number): Promise<Trigger | undefined> {
    return (await this.#snapshot.get()).find((t) => t.id === id);
  }

  async list(): Promise<Trigger[]> {
    const rows = await this.#db.selectFrom('triggers').selectAll().orderBy('id').execute();
    return rows.map(toTrigger);
  }

  /**
   * The rules (active or not) of a service account that cover a project, for one event type.
   * GitLab runs every matching trigger, so all of them are returned. Read from the in-memory
   * snapshot: at most `triggerSnapshotTtlMs` behind another process's change.
   */
  async matching(input: {
    connectionId: string;
    serviceAccountId: number;
    eventType: TriggerEventType;
    projectPath: string;
  }): Promise<readonly Trigger[]> {
    return (await this.#snapshot.get()).filter(
      (t) =>
        t.connectionId === input.connectionId &&
        t.serviceAccountId === input.serviceAccountId &&
        t.eventTypes.includes(input.eventType) &&
        scopeCovers(t.scope, input.projectPath),
    );
  }

  /**
   * Service accounts used by triggers in more than one project or group. GitLab warns that a
   * service account shared across projects can reach all of them from any one.
   */
  async sharedServiceAccounts(): Promise<{ serviceAccountId: number; scopes: string[] }[]> {
    const rows = await this.#db
      .selectFrom('triggers')
      .select(['service_account_id', 'scope_type', 'scope_path'])
      .distinct()
      .execute();
    const byAccount = new Map<number, string[]>();
    for (const row of rows) {
      const scopes = byAccount.get(row.service_account_id) ?? [];
      scopes.push(`${row.scope_type} ${row.scope_path}`);
      byAccount.set(row.service_account_id, scopes);
    }
    return [...byAccount]
      .filter(([, scopes]) => scopes.length > 1)
      .map(([serviceAccountId, scopes]) => ({ serviceAccountId, scopes: scopes.sort() }));
  }
}
