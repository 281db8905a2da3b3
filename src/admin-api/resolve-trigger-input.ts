import type { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { CatalogStore } from '../flows/catalog-store.ts';
import type { ConnectionStore } from '../forges/connection-store.ts';
import type { NewTrigger, Trigger } from '../triggers/trigger-store.ts';
import { normalizePath } from '../triggers/scope.ts';
import { findConnection, findFlow } from './admin-lookups.ts';
import type { triggerCreateBody, triggerPatchBody } from './admin-schemas.ts';

export type TriggerInput = z.output<typeof triggerCreateBody>;
export type TriggerPatch = z.output<typeof triggerPatchBody>;

/** A catalog flow enabled for a group serves the group itself and every project below it. */
function enablementCovers(
  enabled: { type: 'project' | 'group'; path: string },
  scope: { type: 'project' | 'group'; path: string },
): boolean {
  const path = normalizePath(scope.path);
  if (enabled.path === path) return enabled.type === 'group' || scope.type === 'project';
  return enabled.type === 'group' && path.startsWith(`${enabled.path}/`);
}

/** Turns the API's names (connection, username, flow name) into a storable trigger. */
export async function resolveTriggerInput(
  stores: { connections: ConnectionStore; catalog: CatalogStore },
  input: TriggerInput,
): Promise<{ trigger: NewTrigger; warnings: string[] }> {
  if ((input.configPath === undefined) === (input.catalogFlow === undefined)) {
    throw new AppError(
      'BAD_REQUEST',
      `Invalid request: body: give exactly one of configPath (e.g. .gitlab/duo/flows/${input.serviceAccount}.yaml) or catalogFlow`,
    );
  }
  const connection = await findConnection(stores.connections, input.connection, {
    as: 'BAD_REQUEST',
    at: 'body.connection',
  });
  const wanted = input.serviceAccount.replace(/^@/, '').toLowerCase();
  const account = connection.serviceAccounts.find((a) => a.username.toLowerCase() === wanted);
  if (!account) {
    throw new AppError(
      'BAD_REQUEST',
      `Invalid request: body.serviceAccount: no service account ${input.serviceAccount} in connection ${connection.id}; add it first`,
    );
  }
  const warnings: string[] = [];
  const base = {
    connectionId: connection.id,
    scope: input.scope,
    description: input.description,
    eventTypes: input.eventTypes,
    serviceAccountId: account.id,
    active: input.active,
    pushToSourceBranch: input.pushToSourceBranch,
  };
  if (input.configPath !== undefined) {
    return {
      trigger: { ...base, flow: { kind: 'config_path', path: input.configPath } },
      warnings,
    };
  }
  const flow = await findFlow(stores.catalog, input.catalogFlow ?? '', {
    as: 'BAD_REQUEST',
    at: 'body.catalogFlow',
  });
  const enablements = await stores.catalog.enablements(flow.id);
  const enabled = enablements.some(
    (e) => e.connectionId === connection.id && enablementCovers(e.scope, input.scope),
  );
  if (!enabled) {
    warnings.push(
      `Catalog flow ${flow.name} is not enabled for ${input.scope.type} ${input.scope.path}; runs will be refused until it is (POST /api/admin/catalog-flows/{flow}/enablements).`,
    );
  }
  return { trigger: { ...base, flow: { kind: 'catalog', flowId: flow.id } }, warnings };
}

/** The stored trigger with a partial change applied, in the API's own terms. */
export function applyTriggerPatch(
  current: Trigger,
  username: string,
  patch: TriggerPatch,
): TriggerInput {
  const flowChanged = patch.configPath !== undefined || patch.catalogFlow !== undefined;
  const currentFlow =
    current.flow.kind === 'config_path'
      ? { configPath: current.flow.path }
      : { catalogFlow: current.flow.flowId };
  return {
    description: patch.description ?? current.description,
    eventTypes: patch.eventTypes ?? current.eventTypes,
    connection: patch.connection ?? current.connectionId,
    serviceAccount: patch.serviceAccount ?? username,
    scope: patch.scope ?? current.scope,
    active: patch.active ?? current.active,
    pushToSourceBranch: patch.pushToSourceBranch ?? current.pushToSourceBranch,
    ...(flowChanged
      ? { configPath: patch.configPath, catalogFlow: patch.catalogFlow }
      : currentFlow),
  };
}
