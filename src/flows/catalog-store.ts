import type { Kysely, Selectable } from 'kysely';
import type { CatalogFlowsTable, DatabaseSchema, ScopeType } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { normalizePath, scopeCovers } from '../triggers/scope.ts';
import { formatFlowErrors } from './format-flow-errors.ts';
import { parseFlow } from './parse-flow.ts';

export interface CatalogFlow {
  id: number;
  name: string;
  description: string;
  visibility: 'private' | 'public';
  /** The YAML as submitted. */
  definition: string;
}

export interface Enablement {
  flowId: number;
  connectionId: string;
  scope: { type: ScopeType; path: string };
}

function toFlow(row: Selectable<CatalogFlowsTable>): CatalogFlow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    visibility: row.visibility,
    definition: row.definition,
  };
}

/** Refuses a catalog entry whose YAML is not a valid flow, with the same errors as `flow validate`. */
function assertValidDefinition(name: string, definition: string): void {
  const parsed = parseFlow(definition, { source: `catalog flow ${name}` });
  if (!parsed.ok) {
    throw new AppError('BAD_REQUEST', formatFlowErrors(parsed.errors, `catalog flow ${name}`), {
      details: { errors: parsed.errors },
    });
  }
}

/** Flows stored in Baton's catalog, and the projects and groups they are enabled for. */
export class CatalogStore {
  readonly #db: Kysely<DatabaseSchema>;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  async create(input: Omit<CatalogFlow, 'id'>): Promise<CatalogFlow> {
    assertValidDefinition(input.name, input.definition);
    const existing = await this.#db
      .selectFrom('catalog_flows')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (existing)
      throw new AppError('CONFLICT', `A catalog flow named ${input.name} already exists`);
    const row = await this.#db
      .insertInto('catalog_flows')
      .values(input)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toFlow(row);
  }

  async update(id: number, input: Omit<CatalogFlow, 'id'>): Promise<CatalogFlow> {
    assertValidDefinition(input.name, input.definition);
    const row = await this.#db
      .updateTable('catalog_flows')
      .set({ ...input, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `Catalog flow ${id} does not exist`);
    return toFlow(row);
  }

  async remove(id: number): Promise<boolean> {
    const inUse = await this.#db
      .selectFrom('triggers')
      .select('id')
      .where('catalog_flow_id', '=', id)
      .executeTakeFirst();
    if (inUse) throw new AppError('CONFLICT', `Catalog flow ${id} is used by trigger ${inUse.id}`);
    const result = await this.#db
      .deleteFrom('catalog_flows')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async get(id: number): Promise<CatalogFlow | undefined> {
    const row = await this.#db
      .selectFrom('catalog_flows')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toFlow(row) : undefined;
  }

  async list(): Promise<CatalogFlow[]> {
    return (await this.#db.selectFrom('catalog_flows').selectAll().orderBy('name').execute()).map(
      toFlow,
    );
  }

  async enable(enablement: Enablement): Promise<void> {
    await this.#db
      .insertInto('catalog_enablements')
      .values({
        flow_id: enablement.flowId,
        connection_id: enablement.connectionId,
        scope_type: enablement.scope.type,
        scope_path: normalizePath(enablement.scope.path),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async disable(enablement: Enablement): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('catalog_enablements')
      .where('flow_id', '=', enablement.flowId)
      .where('connection_id', '=', enablement.connectionId)
      .where('scope_type', '=', enablement.scope.type)
      .where('scope_path', '=', normalizePath(enablement.scope.path))
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async enablements(flowId: number): Promise<Enablement[]> {
    const rows = await this.#db
      .selectFrom('catalog_enablements')
      .selectAll()
      .where('flow_id', '=', flowId)
      .execute();
    return rows.map((r) => ({
      flowId: r.flow_id,
      connectionId: r.connection_id,
      scope: { type: r.scope_type, path: r.scope_path },
    }));
  }

  /** Whether the flow is enabled for the project itself or a group above it. */
  async isEnabledFor(flowId: number, connectionId: string, projectPath: string): Promise<boolean> {
    const rows = await this.enablements(flowId);
    return rows.some((r) => r.connectionId === connectionId && scopeCovers(r.scope, projectPath));
  }
}
