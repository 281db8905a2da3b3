/**
 * The one shape every flow file becomes, whichever of GitLab's three generations of flow
 * configuration (or Baton's native form) it was written in. Runs, executors and the catalog only
 * ever see this type.
 */

/** Built-in agents a native flow can name with `agent:`. */
export const agentNames = ['claude', 'codex', 'opencode', 'gemini', 'amazon-q', 'custom'] as const;
export type AgentName = (typeof agentNames)[number];

/** The profiles' own names, accepted in `agent:` as well. */
export const agentAliases = { 'claude-code': 'claude', 'gemini-cli': 'gemini' } as const;

/** An OIDC ID token GitLab (19.2+) injects as an environment variable named after its key. */
export interface IdTokenDefinition {
  aud: string | string[];
}

/**
 * A flow in GitLab's format: a container image and shell commands, exactly as GitLab runs them in
 * its one-job workload pipeline. G1 (18.3) defined `image`, `commands`, `variables`; 18.4 added
 * `injectGatewayToken`; 19.2 added `id_tokens`; `report_artifacts` is undocumented but read.
 */
export interface GitLabFlowDefinition {
  format: 'gitlab';
  image: string;
  commands: string[];
  /** Names (not values) of project or group CI/CD variables to expose to the job. */
  variables: string[];
  injectGatewayToken: boolean;
  idTokens: Record<string, IdTokenDefinition>;
  /** Passed through untouched as the job's `artifacts:reports`; GitLab's CI parser owns its shape. */
  reportArtifacts?: Record<string, unknown>;
}

/** A Baton-native flow: Baton starts a built-in agent itself instead of running commands. */
export interface NativeFlowDefinition {
  format: 'native';
  agent: AgentName;
  model?: string;
  maxTurns?: number;
  allowedTools?: string[];
  instructions?: string;
  timeoutSeconds?: number;
  /** Names (not values) of project or group variables to expose to the agent. */
  variables: string[];
  /** Only container executors (gitlab-ci, kubernetes) use it; the local sandbox ignores it. */
  image?: string;
  /** Only for `agent: custom`, which runs these shell lines instead of a built-in CLI. */
  commands?: string[];
}

export type FlowDefinition = GitLabFlowDefinition | NativeFlowDefinition;
