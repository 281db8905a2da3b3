/**
 * The agent port: what Baton needs to know about one coding-agent CLI to run it headless in a
 * sandbox, pointed at Baton's model gateway, and to follow what it does. One adapter per CLI
 * (`claude-code/`, `codex/`, `opencode/`, `gemini/`, `amazon-q/`, `custom/`) implements it.
 * Adapters import this file, `config`, `errors` and `logging`; never each other.
 */
import type { AgentName } from '../flows/flow-definition.ts';

/** The provider APIs the gateway speaks; `aws` (Amazon Q) is not proxied by the gateway. */
export type ProviderName = 'anthropic' | 'openai' | 'google';

/** An npm package a profile installs into the tool cache, pinned. */
export interface ToolSpec {
  /** npm package name, e.g. `@anthropic-ai/claude-code`. */
  package: string;
  /** Exact version; never a range. */
  version: string;
  /** The executable, relative to the install prefix, e.g. `node_modules/.bin/claude`. */
  bin: string;
}

/** A tool the cache has installed: absolute paths, readable (not writable) by run uids. */
export interface InstalledTool {
  spec: ToolSpec;
  /** The install prefix; bound read-only into the sandbox at the same path. */
  dir: string;
  /** Absolute path of the executable. */
  bin: string;
}

/** Where the CLI reaches the model gateway from inside the sandbox. */
export interface GatewayAccess {
  /** Base URL for Anthropic clients (they append `/v1/messages`). */
  anthropicBaseUrl: string;
  /** Base URL for OpenAI clients, with `/v1` (they append `/responses` or `/chat/completions`). */
  openaiBaseUrl: string;
  /** Base URL for Gemini clients, without a version (they append `/v1beta/models/...`). */
  googleBaseUrl: string;
  /** The per-run token: random, short-lived, worthless outside this run. */
  token: string;
  /** Extra headers the CLI should send with every model call. */
  headers: Record<string, string>;
}

export interface AgentLaunchInput {
  runId: string;
  /** The whole task for the agent, already built from the issue or merge request. */
  prompt: string;
  /** The git work tree; the agent's working directory. */
  workspaceDir: string;
  /** HOME inside the sandbox (a private tmpfs); config files land here before the CLI starts. */
  homeDir: string;
  /** The installed CLI; null for `custom`, which brings its own commands. */
  tool: InstalledTool | null;
  gateway: GatewayAccess;
  model?: string;
  maxTurns?: number;
  allowedTools?: string[];
  /** `custom` only: shell lines run in order, as a GitLab flow's `commands`. */
  commands?: string[];
  /** Variables the flow listed, already resolved (Amazon Q's AWS settings, say). */
  variables: Record<string, string>;
}

export interface AgentLaunch {
  /** argv, never through a shell unless the profile builds one itself. stdin is /dev/null. */
  command: string[];
  /** Environment for the CLI, on top of the run's own (AI_FLOW_*, CI_*). */
  env: Record<string, string>;
  /**
   * Files to place under HOME before the command starts (path relative to HOME → content):
   * the CLI's settings, the prompt when it is read from a file.
   */
  files: Record<string, string>;
}

/** What an agent did, parsed from its machine-readable output; Baton's typed run events. */
export type AgentEvent =
  | { type: 'message'; text: string }
  | { type: 'tool_call'; tool: string; summary: string }
  | { type: 'file_change'; path: string; kind: 'add' | 'update' | 'delete' }
  | { type: 'command'; command: string; exitCode: number | null }
  | {
      type: 'usage';
      inputTokens: number;
      outputTokens: number;
      cacheReadTokens: number;
      cacheWriteTokens: number;
      costUsd?: number;
    }
  | { type: 'error'; message: string; fatal: boolean }
  | { type: 'final'; text: string; isError: boolean };

/** Turns a CLI's stdout, one line at a time, into events. Lines it does not understand are ignored. */
export interface AgentOutputParser {
  line(text: string): AgentEvent[];
  /** After the CLI exited: anything held back (e.g. a final answer assembled from deltas). */
  end(exitCode: number | null): AgentEvent[];
}

export interface AgentProfile {
  readonly name: AgentName;
  /** For people: "Claude Code", "OpenAI Codex", ... */
  readonly displayName: string;
  /** The gateway route the CLI uses; null when it does not go through the gateway. */
  readonly provider: ProviderName | null;
  /** null for `custom` (and for Amazon Q, which is not on npm). */
  readonly tool: ToolSpec | null;
  /** The model used when the flow names none. */
  readonly defaultModel: string;
  /** Commit identity GitLab's examples use (`claudecode@gitlab.com` / `Claude Code`). */
  readonly gitIdentity: { name: string; email: string };
  launch(input: AgentLaunchInput): AgentLaunch;
  parser(): AgentOutputParser;
}
