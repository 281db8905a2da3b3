import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';
import { ConfigSnapshot } from './config-snapshot.ts';
import { ancestorGroups, normalizePath } from './scope.ts';

/** The flags GitLab gates third-party flows with, and their defaults when nothing is set. */
export const featureFlags = {
  /** Trigger processing: mentions, assignments and review requests start runs. */
  ai_flow_triggers: true,
  /** Flows from Baton's catalog (as opposed to a flow file in the repository). */
  ai_catalog_third_party_flows: true,
} as const;
export type FeatureFlagName = keyof typeof featureFlags;

export type FlagScope =
  { type: 'instance' } | { type: 'group' | 'project'; connectionId: string; path: string };

export interface FlagSetting {
  name: FeatureFlagName;
  scope: FlagScope;
  enabled: boolean;
}

function scopeKey(scope: FlagScope) {
  return scope.type === 'instance'
    ? { scope_type: 'instance' as const, connection_id: '', scope_path: '' }
    : {
        scope_type: scope.type,
        connection_id: scope.connectionId,
        scope_path: normalizePath(scope.path),
      };
}

/**
 * How long another Baton process's flag change may go unseen by this one (this process's own
 * changes are seen at once).
 */
export const flagSnapshotTtlMs = 1000;

interface FlagRow {
  name: string;
  scope_type: 'instance' | 'group' | 'project';
  connection_id: string;
  scope_path: string;
  enabled: boolean;
}

/**
 * Feature flags set for the instance, a group or a project. The most specific setting wins:
 * the project's, then the nearest group's, then the instance's, then the default.
 */
export class FeatureFlags {
  readonly #db: Kysely<DatabaseSchema>;
  /** Every setting (a handful of rows), for `isEnabled` on the per-mention path. */
  readonly #snapshot: ConfigSnapshot<readonly FlagRow[]>;

  constructor(
    db: Kysely<DatabaseSchema>,
    options: { snapshotTtlMs?: number; now?: () => number } = {},
  ) {
    this.#db = db;
    this.#snapshot = new ConfigSnapshot(
      () =>
        this.#db
          .selectFrom('feature_flags')
          .select(['name', 'scope_type', 'connection_id', 'scope_path', 'enabled'])
          .execute(),
      {
        ttlMs: options.snapshotTtlMs ?? flagSnapshotTtlMs,
        ...(options.now ? { now: options.now } : {}),
      },
    );
  }

  async set(setting: FlagSetting): Promise<void> {
    const key = scopeKey(setting.scope);
    await this.#db
      .insertInto('feature_flags')
      .values({ name: setting.name, ...key, enabled: setting.enabled })
      .onConflict((oc) =>
        oc
          .columns(['name', 'scope_type', 'connection_id', 'scope_path'])
          .doUpdateSet({ enabled: setting.enabled, updated_at: new Date() }),
      )
      .execute();
    this.#snapshot.invalidate();
  }

  async unset(name: FeatureFlagName, scope: FlagScope): Promise<boolean> {
    const key = scopeKey(scope);
    const result = await this.#db
      .deleteFrom('feature_flags')
      .where('name', '=', name)
      .where('scope_type', '=', key.scope_type)
      .where('connection_id', '=', key.connection_id)
      .where('scope_path', '=', key.scope_path)
      .executeTakeFirst();
    this.#snapshot.invalidate();
    return result.numDeletedRows > 0n;
  }

  async list(): Promise<FlagSetting[]> {
    const rows = await this.#db
      .selectFrom('feature_flags')
      .selectAll()
      .orderBy('name')
      .orderBy('scope_path')
      .execute();
    return rows.map((row) => ({
      name: row.name as FeatureFlagName,
      enabled: row.enabled,
      scope:
        row.scope_type === 'instance'
          ? { type: 'instance' }
          : { type: row.scope_type, connectionId: row.connection_id, path: row.scope_path },
    }));
  }

  /**
   * Whether `name` is on for a project, and which setting decided it. Read from the in-memory
   * snapshot: at most `flagSnapshotTtlMs` behind another process's change.
   */
  async isEnabled(
    name: FeatureFlagName,
    connectionId: string,
    projectPath: string,
  ): Promise<{ enabled: boolean; decidedBy: string }> {
    const project = normalizePath(projectPath);
    const groups = ancestorGroups(project);
    const rows = (await this.#snapshot.get()).filter(
      (r) => r.name === name && (r.scope_type === 'instance' || r.connection_id === connectionId),
    );
    const projectRow = rows.find((r) => r.scope_type === 'project' && r.scope_path === project);
    if (projectRow) return { enabled: projectRow.enabled, decidedBy: `project ${project}` };
    for (const group of groups) {
      const row = rows.find((r) => r.scope_type === 'group' && r.scope_path === group);
      if (row) return { enabled: row.enabled, decidedBy: `group ${group}` };
    }
    const instance = rows.find((r) => r.scope_type === 'instance');
    if (instance) return { enabled: instance.enabled, decidedBy: 'instance' };
    return { enabled: featureFlags[name], decidedBy: 'default' };
  }
}
