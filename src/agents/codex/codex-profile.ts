/**
 * OpenAI Codex CLI (`@openai/codex`) run headless: `exec --json`, with a custom model provider
 * (Responses API) at Baton's gateway, given entirely as `-c` overrides. See readme.md.
 */
import type { AgentLaunch, AgentLaunchInput, AgentProfile, ToolSpec } from '../agent-profile.ts';
import { checkedGatewayHeaders, noProxyEnv, trimTrailingSlashes } from '../gateway-settings.ts';
import { requireInstalledTool } from '../launch-input.ts';
import { CodexOutputParser } from './codex-output-parser.ts';

export const codexTool: ToolSpec = {
  package: '@openai/codex',
  version: '0.169.0',
  bin: 'node_modules/.bin/codex',
};

/**
 * Retries of one model request and of one broken stream. They multiply: with 2 and 2 a gateway
 * answering 500 got 9 requests; with 1 and 1 it gets at most 4 (2 on a 401).
 */
export const codexMaxRetries = 1;

/** The environment variable Codex reads the gateway token from (`env_key`). */
export const codexTokenVariable = 'BATON_GATEWAY_TOKEN';

/** CODEX_HOME, relative to HOME: never under the temp dir, where Codex refuses its helpers. */
export const codexHomeDir = '.codex';

/** A TOML basic string; JSON's string escapes are all valid TOML escapes. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

function tomlInlineTable(entries: [string, string][]): string {
  return `{${entries.map(([key, value]) => `${tomlString(key)} = ${tomlString(value)}`).join(', ')}}`;
}

function launch(input: AgentLaunchInput): AgentLaunch {
  const tool = requireInstalledTool(input, 'OpenAI Codex');
  const provider = 'model_providers.baton';
  const settings: [string, string][] = [
    ['model_provider', tomlString('baton')],
    [`${provider}.name`, tomlString('Baton gateway')],
    [`${provider}.base_url`, tomlString(trimTrailingSlashes(input.gateway.openaiBaseUrl))],
    [`${provider}.env_key`, tomlString(codexTokenVariable)],
    [`${provider}.wire_api`, tomlString('responses')],
    [`${provider}.http_headers`, tomlInlineTable(checkedGatewayHeaders(input.gateway))],
    [`${provider}.request_max_retries`, String(codexMaxRetries)],
    [`${provider}.stream_max_retries`, String(codexMaxRetries)],
    // Without these: metrics to ab.chatgpt.com, plugin sync from github.com and chatgpt.com,
    // an update check, and endless reconnects while a host is unreachable.
    ['analytics.enabled', 'false'],
    ['otel.metrics_exporter', tomlString('none')],
    ['features.plugins', 'false'],
    ['features.unbounded_connection_retries', 'false'],
    ['check_for_update_on_startup', 'false'],
  ];
  return {
    command: [
      tool.bin,
      'exec',
      '--json',
      '--ephemeral',
      '--skip-git-repo-check',
      // Baton's bubblewrap sandbox is the sandbox: Codex's own bwrap needs user namespaces,
      // which are switched off inside it.
      '--dangerously-bypass-approvals-and-sandbox',
      '--model',
      input.model ?? codexProfile.defaultModel,
      ...settings.flatMap(([key, value]) => ['-c', `${key}=${value}`]),
      '--',
      input.prompt,
    ],
    env: {
      CODEX_HOME: `${trimTrailingSlashes(input.homeDir)}/${codexHomeDir}`,
      [codexTokenVariable]: input.gateway.token,
      ...noProxyEnv(input.gateway),
    },
    // Codex refuses to start when CODEX_HOME does not exist; a file creates the directory.
    files: {
      [`${codexHomeDir}/config.toml`]:
        '# Written by Baton. Every setting of the run is passed on the command line (-c).\n',
    },
  };
}

export const codexProfile: AgentProfile = {
  name: 'codex',
  displayName: 'OpenAI Codex',
  provider: 'openai',
  tool: codexTool,
  // A slug Codex knows, so it offers apply_patch; the gateway maps it to a real model.
  defaultModel: 'gpt-5.5',
  gitIdentity: { name: 'OpenAI Codex', email: 'codex@gitlab.com' },
  launch,
  parser: () => new CodexOutputParser(),
};
