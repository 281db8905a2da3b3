/**
 * The model gateway as runs see it: mint a per-run token before the agent starts, read the
 * run's metered usage, revoke the token when the run ends. The HTTP side (provider routes) is
 * served on Baton's own port under `/gateway/{anthropic,openai,google}`.
 */

export interface RunGrantInput {
  runId: string;
  connectionId: string;
  projectPath: string;
  /** The token stops working at this time even if nobody revokes it. */
  expiresAt: Date;
}

export interface RunGrant {
  /** Random, shown once, stored only as a hash. */
  token: string;
  /** Headers the agent sends with every model call (`AI_FLOW_AI_GATEWAY_HEADERS`). */
  headers: Record<string, string>;
}

export interface RunUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** null when a model of the run has no price in the table. */
  costUsd: number | null;
  /** Set when a call was refused because a budget ran out: why, for the final note. */
  budgetExceeded: string | null;
}

export interface ModelGateway {
  grant(input: RunGrantInput): Promise<RunGrant>;
  usage(runId: string): Promise<RunUsage>;
  /** Revokes the run's token; calls in flight finish, new ones get 401. Idempotent. */
  revoke(runId: string): Promise<void>;
}

/** The gateway's path prefix on Baton's HTTP port. */
export const gatewayPathPrefix = '/gateway';

/** The base URLs each kind of client is given, from the URL Baton's API has where it runs. */
export function gatewayBaseUrls(apiUrl: string): {
  anthropic: string;
  openai: string;
  google: string;
} {
  const root = `${apiUrl.replace(/\/+$/, '')}${gatewayPathPrefix}`;
  return { anthropic: `${root}/anthropic`, openai: `${root}/openai/v1`, google: `${root}/google` };
}
