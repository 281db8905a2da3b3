/**
 * Claude Code (`@anthropic-ai/claude-code`) run headless: `-p` with `stream-json` output,
 * edits accepted, shell commands only as the flow's `allowedTools` allow, every model call to
 * Baton's gateway with the run's token. See readme.md for why each flag is there.
 */
import { AppError } from '../../errors/app-error.ts';
import type { AgentLaunch, AgentLaunchInput, AgentProfile, ToolSpec } from '../agent-profile.ts';
import { gatewayHeaderLines, noProxyEnv, trimTrailingSlashes } from '../gateway-settings.ts';
import { requireInstalledTool, turnLimit } from '../launch-input.ts';
import { ClaudeCodeOutputParser } from './claude-code-output-parser.ts';

export const claudeCodeTool: ToolSpec = {
  package: '@anthropic-ai/claude-code',
  version: '2.1.331',
  bin: 'node_modules/.bin/claude',
};

/** Claude's default is 10 retries with backoff: about 3 minutes on a 401. */
export const claudeCodeMaxRetries = 2;

function allowedToolsArgs(input: AgentLaunchInput): string[] {
  const tools = input.allowedTools ?? [];
  for (const tool of tools) {
    // The list is variadic on the command line: an entry that looks like an option would end it.
    if (tool.trim() === '' || tool.startsWith('-')) {
      throw new AppError('BAD_REQUEST', 'An allowed tool of the flow is not a tool pattern', {
        details: { tool },
      });
    }
  }
  return tools.length > 0 ? ['--allowedTools', ...tools] : [];
}

function launch(input: AgentLaunchInput): AgentLaunch {
  const tool = requireInstalledTool(input, 'Claude Code');
  const maxTurns = turnLimit(input);
  const headers = gatewayHeaderLines(input.gateway);
  return {
    command: [
      tool.bin,
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      // Only settings under HOME (Baton's, empty): a repository's .claude/settings.json could
      // otherwise move ANTHROPIC_BASE_URL, and with it the run's token, elsewhere.
      '--setting-sources',
      'user',
      '--strict-mcp-config',
      '--no-session-persistence',
      '--model',
      input.model ?? claudeCodeProfile.defaultModel,
      ...(maxTurns === undefined ? [] : ['--max-turns', String(maxTurns)]),
      ...allowedToolsArgs(input),
      // The prompt is an operand, never an option, whatever it starts with.
      '--',
      input.prompt,
    ],
    env: {
      ANTHROPIC_BASE_URL: trimTrailingSlashes(input.gateway.anthropicBaseUrl),
      ANTHROPIC_AUTH_TOKEN: input.gateway.token,
      ...(headers === '' ? {} : { ANTHROPIC_CUSTOM_HEADERS: headers }),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_MAX_RETRIES: String(claudeCodeMaxRetries),
      ...noProxyEnv(input.gateway),
    },
    files: {},
  };
}

export const claudeCodeProfile: AgentProfile = {
  name: 'claude',
  displayName: 'Claude Code',
  provider: 'anthropic',
  tool: claudeCodeTool,
  defaultModel: 'claude-sonnet-4-5',
  gitIdentity: { name: 'Claude Code', email: 'claudecode@gitlab.com' },
  launch,
  parser: () => new ClaudeCodeOutputParser(),
};
