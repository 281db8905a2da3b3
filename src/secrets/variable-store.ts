import type { Kysely } from 'kysely';
import type { DatabaseSchema, ScopeType } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { ancestorGroups, normalizePath } from '../triggers/scope.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * Linux refuses a single environment string over 128 KiB (MAX_ARG_STRLEN), and GitLab refuses
 * such variables for the same reason; Baton refuses them when they are set, not when a run fails.
 */
export const maxVariableBytes = 128 * 1024;

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export interface VariableInput {
  connectionId: string;
  scope: { type: ScopeType; path: string };
  key: string;
  value: string;
  masked?: boolean;
  description?: string;
}

export interface VariableView {
  connectionId: string;
  scope: { type: ScopeType; path: string };
  key: string;
  masked: boolean;
  description: string;
}

export interface ResolvedVariables {
  values: Record<string, string>;
  /** Values to redact from every log, note and merge request. */
  secrets: string[];
  /** Listed by the flow but set nowhere for the project. */
  missing: string[];
}

const context = (connectionId: string, scopeType: string, path: string, key: string) =>
  `variables.value:${connectionId}:${scopeType}:${path}:${key}`;

/** Checks a variable as GitLab checks CI/CD variables; throws BAD_REQUEST naming the problem. */
export function assertValidVariable(input: Pick<VariableInput, 'key' | 'value' | 'masked'>): void {
  if (!keyPattern.test(input.key)) {
    throw new AppError(
      'BAD_REQUEST',
      `Variable key "${input.key}" may contain only letters, digits and _, and must not start with a digit`,
    );
  }
  const bytes = Buffer.byteLength(input.value, 'utf8');
  if (bytes > maxVariableBytes) {
    throw new AppError(
      'BAD_REQUEST',
      `Variable ${input.key} is ${Math.ceil(bytes / 1024)} KiB; the limit is 128 KiB`,
    );
  }
  if ((input.masked ?? true) && (input.value.length < 8 || /[\r\n]/.test(input.value))) {
    throw new AppError(
      'BAD_REQUEST',
      `Masked variable ${input.key} must be a single line of at least 8 characters`,
    );
  }
}

/** Flow variables per project or group, sealed at rest; the project's value wins over a group's. */
export class VariableStore {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #box: SecretBox;

  constructor(db: Kysely<DatabaseSchema>, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  async set(input: VariableInput): Promise<void> {
    assertValidVariable(input);
    const path = normalizePath(input.scope.path);
    const sealed = this.#box.seal(
      input.value,
      context(input.connectionId, input.scope.type, path, input.key),
    );
    const masked = input.masked ?? true;
    const description = input.description ?? '';
    await this.#db
      .insertInto('variables')
      .values({
        connection_id: input.connectionId,
        scope_type: input.scope.type,
        scope_path: path,
        key: input.key,
        value: sealed,
        masked,
        description,
      })
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'scope_type', 'scope_path', 'key'])
          .doUpdateSet({ value: sealed, masked, description, updated_at: new Date() }),
      )
      .execute();
  }

  async remove(
    connectionId: string,
    scope: { type: ScopeType; path: string },
    key: string,
  ): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('variables')
      .where('connection_id', '=', connectionId)
      .where('scope_type', '=', scope.type)
      .where('scope_path', '=', normalizePath(scope.path))
      .where('key', '=', key)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Every variable, without values. */
  async list(): Promise<VariableView[]> {
    const rows = await this.#db
      .selectFrom('variables')
      .select(['connection_id', 'scope_type', 'scope_path', 'key', 'masked', 'description'])
      .orderBy('connection_id')
      .orderBy('scope_path')
      .orderBy('key')
      .execute();
    return rows.map((r) => ({
      connectionId: r.connection_id,
      scope: { type: r.scope_type, path: r.scope_path },
      key: r.key,
      masked: r.masked,
      description: r.description,
    }));
  }

  /** The values of `keys` for a project: its own, else the nearest group's. */
  async resolve(
    connectionId: string,
    projectPath: string,
    keys: readonly string[],
  ): Promise<ResolvedVariables> {
    const resolved: ResolvedVariables = { values: {}, secrets: [], missing: [] };
    if (keys.length === 0) return resolved;
    const project = normalizePath(projectPath);
    const scopes = [`project:${project}`, ...ancestorGroups(project).map((g) => `group:${g}`)];
    const rows = await this.#db
      .selectFrom('variables')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('key', 'in', [...keys])
      .execute();
    for (const key of keys) {
      const candidates = rows.filter((r) => r.key === key);
      const best = scopes
        .map((scope) => candidates.find((r) => `${r.scope_type}:${r.scope_path}` === scope))
        .find((r) => r !== undefined);
      if (!best) {
        resolved.missing.push(key);
        continue;
      }
      const value = this.#box.open(
        best.value,
        context(connectionId, best.scope_type, best.scope_path, key),
      );
      resolved.values[key] = value;
      if (best.masked) resolved.secrets.push(value);
    }
    return resolved;
  }
}
