import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { ForgeConnection, ServiceAccount } from '../forges/connection-store.ts';
import type { CatalogFlow, Enablement } from '../flows/catalog-store.ts';
import type { FlagSetting } from '../triggers/feature-flags.ts';
import type { Trigger } from '../triggers/trigger-store.ts';
import type {
  CatalogFlowView,
  ConnectionView,
  EnablementView,
  FlagSettingView,
  ServiceAccountView,
  TriggerView,
} from './admin-schemas.ts';

/** Baton's public URL: configured, else as the server knows it, else as this request reached it. */
export function publicBaseUrl(
  deps: { config: Config; publicUrl?: () => string },
  request: FastifyRequest,
): string {
  const url =
    deps.config.server.publicUrl ?? deps.publicUrl?.() ?? `${request.protocol}://${request.host}`;
  return url.replace(/\/+$/, '');
}

/** Enough of a token to tell two apart; nothing of a short one. */
function tokenEnding(token: string): string | null {
  return token.length >= 20 ? token.slice(-4) : null;
}

export function serviceAccountViewOf(account: ServiceAccount): ServiceAccountView {
  return {
    id: account.id,
    username: account.username,
    name: account.name,
    email: account.email,
    forgeUserId: account.forgeUserId,
    tokenEnding: tokenEnding(account.token),
  };
}

export function connectionViewOf(connection: ForgeConnection, baseUrl: string): ConnectionView {
  return {
    id: connection.id,
    kind: connection.kind,
    url: connection.baseUrl,
    hasWebhookSecret: true,
    webhookUrl: `${baseUrl}/webhooks/gitlab/${encodeURIComponent(connection.id)}`,
    serviceAccounts: connection.serviceAccounts.map(serviceAccountViewOf),
  };
}

export function sharedAccountWarning(username: string, scopes: readonly string[]): string {
  return (
    `Service account ${username} is used by triggers in more than one project or group ` +
    `(${scopes.join(', ')}). GitLab advises one service account per project: whoever can ` +
    'trigger it in one of them can have the agent reach all of them.'
  );
}

export interface TriggerContext {
  connections: readonly ForgeConnection[];
  flows: readonly CatalogFlow[];
  shared: readonly { serviceAccountId: number; scopes: string[] }[];
}

export function triggerViewOf(trigger: Trigger, context: TriggerContext): TriggerView {
  const account = context.connections
    .find((c) => c.id === trigger.connectionId)
    ?.serviceAccounts.find((a) => a.id === trigger.serviceAccountId);
  const username = account?.username ?? `#${trigger.serviceAccountId}`;
  const shared = context.shared.find((s) => s.serviceAccountId === trigger.serviceAccountId);
  const flowId = trigger.flow.kind === 'catalog' ? trigger.flow.flowId : undefined;
  const flow = context.flows.find((f) => f.id === flowId);
  return {
    id: trigger.id,
    description: trigger.description,
    eventTypes: trigger.eventTypes,
    connection: trigger.connectionId,
    serviceAccount: username,
    scope: trigger.scope,
    active: trigger.active,
    pushToSourceBranch: trigger.pushToSourceBranch,
    configPath: trigger.flow.kind === 'config_path' ? trigger.flow.path : null,
    catalogFlow: flow ? { id: flow.id, name: flow.name } : null,
    warnings: shared ? [sharedAccountWarning(username, shared.scopes)] : [],
  };
}

export function flagSettingViewOf(setting: FlagSetting): FlagSettingView {
  const { scope } = setting;
  return {
    name: setting.name,
    enabled: setting.enabled,
    scope:
      scope.type === 'instance'
        ? { type: 'instance' }
        : { type: scope.type, connection: scope.connectionId, path: scope.path },
  };
}

export function catalogFlowViewOf(flow: CatalogFlow): CatalogFlowView {
  return { ...flow };
}

export function enablementViewOf(flowName: string, enablement: Enablement): EnablementView {
  return { flow: flowName, connection: enablement.connectionId, scope: enablement.scope };
}
