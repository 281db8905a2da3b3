/**
 * Gemini CLI (`@google/gemini-cli`) run headless: `--prompt` with `stream-json` output, every
 * tool allowed (`--yolo`), the Gemini API at Baton's gateway with the run's token as its API
 * key, and a settings file that switches off statistics, telemetry, updates and long retries.
 * See readme.md.
 */
import { AppError } from '../../errors/app-error.ts';
import type { AgentLaunch, AgentLaunchInput, AgentProfile, ToolSpec } from '../agent-profile.ts';
import { checkedGatewayHeaders, noProxyEnv, trimTrailingSlashes } from '../gateway-settings.ts';
import { requireInstalledTool, turnLimit } from '../launch-input.ts';
import { GeminiOutputParser } from './gemini-output-parser.ts';

export const geminiTool: ToolSpec = {
  package: '@google/gemini-cli',
  version: '0.61.0',
  bin: 'node_modules/.bin/gemini',
};

/** Gemini CLI's settings, relative to HOME (`GEMINI_CLI_HOME` is HOME). */
export const geminiSettingsFile = '.gemini/settings.json';

/** One attempt per model call: the default is 10 with backoff (minutes on a dead endpoint). */
export const geminiMaxAttempts = 1;

function geminiSettings(input: AgentLaunchInput): string {
  const maxTurns = turnLimit(input);
  return `${JSON.stringify(
    {
      // Settings win over the environment: with GOOGLE_GEMINI_BASE_URL alone, 0.61.0 derives
      // the "gateway" auth type and refuses to run headless.
      security: { auth: { selectedType: 'gemini-api-key' } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: {
        enableAutoUpdate: false,
        enableAutoUpdateNotification: false,
        maxAttempts: geminiMaxAttempts,
        retryFetchErrors: false,
      },
      ...(maxTurns === undefined ? {} : { model: { maxSessionTurns: maxTurns } }),
    },
    null,
    2,
  )}\n`;
}

/** `Name: value, Name: value`: Gemini splits on commas, so a value must not hold one. */
function customHeaders(input: AgentLaunchInput): string {
  const entries = checkedGatewayHeaders(input.gateway);
  for (const [name, value] of entries) {
    if (value.includes(',')) {
      throw new AppError('INTERNAL', 'A gateway header cannot be passed to Gemini CLI', {
        details: { header: name },
      });
    }
  }
  return entries.map(([name, value]) => `${name}: ${value}`).join(', ');
}

function launch(input: AgentLaunchInput): AgentLaunch {
  const tool = requireInstalledTool(input, 'Gemini CLI');
  const headers = customHeaders(input);
  return {
    command: [
      tool.bin,
      // The `=` form keeps a prompt that starts with "-" from being read as an option.
      `--prompt=${input.prompt}`,
      '--model',
      input.model ?? geminiProfile.defaultModel,
      // Without it the model is not even offered the edit and shell tools in headless mode.
      '--yolo',
      // Otherwise a never-trusted folder ends the run with exit code 55.
      '--skip-trust',
      '--output-format',
      'stream-json',
    ],
    env: {
      GEMINI_CLI_HOME: trimTrailingSlashes(input.homeDir),
      GOOGLE_GEMINI_BASE_URL: trimTrailingSlashes(input.gateway.googleBaseUrl),
      // Sent as the x-goog-api-key header.
      GEMINI_API_KEY: input.gateway.token,
      ...(headers === '' ? {} : { GEMINI_CLI_CUSTOM_HEADERS: headers }),
      // One process instead of a relaunched child with a bigger heap.
      GEMINI_CLI_NO_RELAUNCH: '1',
      ...noProxyEnv(input.gateway),
    },
    files: { [geminiSettingsFile]: geminiSettings(input) },
  };
}

export const geminiProfile: AgentProfile = {
  name: 'gemini',
  displayName: 'Gemini CLI',
  provider: 'google',
  tool: geminiTool,
  // Pinned: with "auto" the CLI adds a router call to a model of its own choosing.
  defaultModel: 'gemini-2.5-flash',
  gitIdentity: { name: 'Gemini', email: 'gemini@gitlab.com' },
  launch,
  parser: () => new GeminiOutputParser(),
};
