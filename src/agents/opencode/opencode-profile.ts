/**
 * Opencode (`opencode-ai`) run headless: `run --format json --auto`, with one provider (the
 * Anthropic protocol at Baton's gateway) given inline in `OPENCODE_CONFIG_CONTENT`, and the
 * prompt on stdin from a file. See readme.md.
 */
import type { AgentLaunch, AgentLaunchInput, AgentProfile, ToolSpec } from '../agent-profile.ts';
import { checkedGatewayHeaders, noProxyEnv, trimTrailingSlashes } from '../gateway-settings.ts';
import { requireInstalledTool, turnLimit } from '../launch-input.ts';
import { OpencodeOutputParser } from './opencode-output-parser.ts';

export const opencodeTool: ToolSpec = {
  package: 'opencode-ai',
  version: '1.18.33',
  bin: 'node_modules/.bin/opencode',
};

/** The prompt file, relative to HOME. */
export const opencodePromptFile = '.baton/prompt.txt';

/** The provider id inside Opencode's configuration. */
const providerId = 'baton';

/**
 * A positional prompt with spaces reaches the model wrapped in quotes, and stdin is read to EOF
 * whenever it is not a terminal; so the prompt comes from a file on stdin, with no positional.
 */
const runScript = 'exec "$0" run --format json --auto --title "$2" < "$1"';

function opencodeConfig(input: AgentLaunchInput, model: string): string {
  const maxTurns = turnLimit(input);
  return JSON.stringify({
    provider: {
      [providerId]: {
        npm: '@ai-sdk/anthropic',
        name: 'Baton gateway',
        options: {
          baseURL: `${trimTrailingSlashes(input.gateway.anthropicBaseUrl)}/v1`,
          // Sent as "Authorization: Bearer", as Claude Code sends it.
          authToken: input.gateway.token,
          headers: Object.fromEntries(checkedGatewayHeaders(input.gateway)),
        },
        models: { [model]: { name: model, tool_call: true } },
      },
    },
    enabled_providers: [providerId],
    model: `${providerId}/${model}`,
    small_model: `${providerId}/${model}`,
    autoupdate: false,
    share: 'disabled',
    snapshot: false,
    ...(maxTurns === undefined ? {} : { agent: { build: { steps: maxTurns } } }),
  });
}

function launch(input: AgentLaunchInput): AgentLaunch {
  const tool = requireInstalledTool(input, 'Opencode');
  const home = trimTrailingSlashes(input.homeDir);
  const model = input.model ?? opencodeProfile.defaultModel;
  return {
    // A title of our own also saves the title-generation call to the small model.
    command: [
      'sh',
      '-c',
      runScript,
      tool.bin,
      `${home}/${opencodePromptFile}`,
      `Baton ${input.runId}`,
    ],
    env: {
      OPENCODE_CONFIG_CONTENT: opencodeConfig(input, model),
      // The repository's opencode.json would otherwise merge into ours (providers, plugins).
      OPENCODE_DISABLE_PROJECT_CONFIG: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      // Stops the background `npm install @opencode-ai/plugin` at once (cache-only, no cache).
      npm_config_offline: 'true',
      XDG_CONFIG_HOME: `${home}/.config`,
      XDG_DATA_HOME: `${home}/.local/share`,
      XDG_CACHE_HOME: `${home}/.cache`,
      XDG_STATE_HOME: `${home}/.local/state`,
      ...noProxyEnv(input.gateway),
    },
    files: { [opencodePromptFile]: input.prompt },
  };
}

export const opencodeProfile: AgentProfile = {
  name: 'opencode',
  displayName: 'Opencode',
  provider: 'anthropic',
  tool: opencodeTool,
  defaultModel: 'claude-sonnet-4-5',
  gitIdentity: { name: 'Opencode', email: 'opencode@gitlab.com' },
  launch,
  parser: () => new OpencodeOutputParser(),
};
