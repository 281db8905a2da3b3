import type { ColumnType, Generated } from 'kysely';

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * jsonb as both engines see it: parsed on the way out, and written as JSON text, because `pg`
 * would turn a JavaScript array into a Postgres array literal instead of JSON.
 */
export type JsonColumn = ColumnType<JsonValue, string, string>;

export interface SettingsTable {
  key: string;
  value: JsonColumn;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface ForgeConnectionsTable {
  id: string;
  kind: 'gitlab';
  base_url: string;
  /** Encrypted with the instance secret key (see src/secrets). */
  webhook_secret: string;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface ServiceAccountsTable {
  id: Generated<number>;
  connection_id: string;
  username: string;
  forge_user_id: number;
  name: string;
  email: string | null;
  /** Encrypted with the instance secret key (see src/secrets). */
  token: string;
  created_at: CreatedAt;
}

export interface CatalogFlowsTable {
  id: Generated<number>;
  name: string;
  description: string;
  visibility: 'private' | 'public';
  /** The flow's YAML, as submitted. */
  definition: string;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type ScopeType = 'project' | 'group';

export interface CatalogEnablementsTable {
  flow_id: number;
  connection_id: string;
  scope_type: ScopeType;
  scope_path: string;
  created_at: CreatedAt;
}

export interface TriggersTable {
  id: Generated<number>;
  connection_id: string;
  scope_type: ScopeType;
  scope_path: string;
  description: string;
  /** JSON array of `mention` | `assign` | `assign_reviewer`. */
  event_types: JsonColumn;
  service_account_id: number;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  push_to_source_branch: ColumnType<boolean, boolean | undefined, boolean>;
  config_path: string | null;
  catalog_flow_id: number | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface FeatureFlagsTable {
  name: string;
  scope_type: 'instance' | ScopeType;
  connection_id: string;
  scope_path: string;
  enabled: boolean;
  updated_at: CreatedAt;
}

export type DeliveryStatus = 'pending' | 'processing' | 'done' | 'failed';

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  connection_id: string;
  idempotency_key: string;
  event: string;
  payload: JsonColumn;
  status: DeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  locked_until: Date | null;
  outcome: string | null;
  received_at: CreatedAt;
  processed_at: Date | null;
}

export type RunStatus =
  | 'queued'
  | 'preparing'
  | 'running'
  | 'publishing'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'timed_out';

export interface RunsTable {
  id: string;
  status: RunStatus;
  connection_id: string;
  trigger_id: number | null;
  delivery_id: string | null;
  service_account_id: number;
  event_type: string;
  project_id: number;
  project_path: string;
  noteable: JsonColumn;
  discussion_id: string | null;
  ack_note_id: number | null;
  requested_by: JsonColumn;
  flow_source: string;
  flow: JsonColumn;
  environment: JsonColumn;
  network_policy: JsonColumn | null;
  full_context: ColumnType<string, string | undefined, string>;
  push_to_source_branch: ColumnType<boolean, boolean | undefined, boolean>;
  failure: string | null;
  owner: string | null;
  heartbeat_at: Date | null;
  cancel_requested_by: string | null;
  result: JsonColumn | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface RunTransitionsTable {
  id: Generated<string>;
  run_id: string;
  from_status: RunStatus | null;
  to_status: RunStatus;
  reason: string;
  at: CreatedAt;
}

export interface TriggerDecisionsTable {
  id: Generated<string>;
  delivery_id: string;
  trigger_id: number | null;
  service_account: string | null;
  event_type: string | null;
  decision: 'accepted' | 'refused' | 'ignored';
  reason: string;
  run_id: string | null;
  at: CreatedAt;
}

export interface VariablesTable {
  id: Generated<number>;
  connection_id: string;
  scope_type: ScopeType;
  scope_path: string;
  key: string;
  /** Sealed with the instance secret key (see src/secrets). */
  value: string;
  masked: ColumnType<boolean, boolean | undefined, boolean>;
  description: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface GatewayGrantsTable {
  run_id: string;
  /** sha256 of the run's gateway token, hex; the token itself is never stored. */
  token_hash: string;
  connection_id: string;
  project_path: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
}

export type GatewayProviderName = 'anthropic' | 'openai' | 'google';

export interface GatewayCallsTable {
  id: Generated<string>;
  run_id: string | null;
  connection_id: string | null;
  project_path: string | null;
  provider: GatewayProviderName;
  model: string | null;
  method: string;
  path: string;
  status: number;
  streaming: boolean;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** null when the model has no price in the table (tokens were used, cost unknown). */
  cost_usd: number | null;
  /**
   * What the call counted against budgets: the cost, or for a model without a price the cost at
   * its provider's highest prices. Null in rows written before migration 0005.
   */
  charged_usd: number | null;
  duration_ms: number;
  /** Time to the provider's first response byte; null when none came. */
  ttfb_ms: number | null;
  /** Stable code of a refusal or failure (`budget_exceeded`, `upstream_unreachable`, ...). */
  error_code: string | null;
  error: string | null;
  request_body: string | null;
  response_body: string | null;
  started_at: ColumnType<Date, Date | string, Date | string>;
}

/**
 * Every table Baton owns, as Kysely sees it. Each migration that adds or changes a table updates
 * this interface in the same commit.
 */
export interface DatabaseSchema {
  settings: SettingsTable;
  forge_connections: ForgeConnectionsTable;
  service_accounts: ServiceAccountsTable;
  catalog_flows: CatalogFlowsTable;
  catalog_enablements: CatalogEnablementsTable;
  triggers: TriggersTable;
  feature_flags: FeatureFlagsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  runs: RunsTable;
  run_transitions: RunTransitionsTable;
  trigger_decisions: TriggerDecisionsTable;
  variables: VariablesTable;
  gateway_grants: GatewayGrantsTable;
  gateway_calls: GatewayCallsTable;
}

/** Re-exported so that later table definitions need only this module. */
export type { ColumnType, Generated };
