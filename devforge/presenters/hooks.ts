import type { Hook, HookDelivery } from '../state/types.ts';
import { hookEventFlags } from '../state/types.ts';
import { isoTime } from './time.ts';

/** GitLab never returns a hook's secret token. */
export function hookEntity(hook: Hook) {
  const flags = Object.fromEntries(hookEventFlags.map((flag) => [flag, hook.events[flag]]));
  return {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    ...(hook.scope.kind === 'project'
      ? { project_id: hook.scope.projectId }
      : { group_id: hook.scope.groupId }),
    ...flags,
    push_events_branch_filter: hook.pushEventsBranchFilter,
    branch_filter_strategy: 'wildcard',
    enable_ssl_verification: hook.enableSslVerification,
    repository_update_events: false,
    alert_status: 'executable',
    disabled_until: null,
    url_variables: [],
    custom_headers: [],
    custom_webhook_template: null,
    resource_access_token_events: false,
    created_at: isoTime(hook.createdAt),
  };
}

export function deliveryEntity(delivery: HookDelivery) {
  return {
    id: delivery.id,
    url: delivery.url,
    trigger:
      delivery.trigger
        .replace(/ Hook$/, '')
        .toLowerCase()
        .replace(/ /g, '_') + '_hooks',
    request_headers: delivery.requestHeaders,
    request_data: delivery.requestData,
    response_headers: delivery.responseHeaders,
    response_body: delivery.responseBody,
    execution_duration: delivery.executionDuration,
    response_status: delivery.responseStatus,
  };
}
