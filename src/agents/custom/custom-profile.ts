/**
 * A custom agent: the flow's own shell lines, run as GitLab runs a flow's `commands` (one bash
 * script, stopping at the first failing line), with the gateway's settings in the environment
 * so that whatever CLI the commands start can reach a model.
 */
import { AppError } from '../../errors/app-error.ts';
import type { AgentLaunch, AgentLaunchInput, AgentProfile } from '../agent-profile.ts';
import { gatewayHeaderLines, noProxyEnv, trimTrailingSlashes } from '../gateway-settings.ts';
import { CustomOutputParser } from './custom-output-parser.ts';

/** The script: GitLab's bash shell stops at the first failing line, pipes included. */
export function customScript(commands: readonly string[]): string {
  return ['set -eo pipefail', ...commands].join('\n');
}

function launch(input: AgentLaunchInput): AgentLaunch {
  const commands = input.commands ?? [];
  if (commands.length === 0 || commands.every((command) => command.trim() === '')) {
    throw new AppError('BAD_REQUEST', 'A custom agent needs the commands to run', {
      details: { runId: input.runId },
    });
  }
  return {
    command: ['bash', '-c', customScript(commands)],
    env: {
      // GitLab's names, so flows written for GitLab's managed credentials work unchanged.
      AI_FLOW_AI_GATEWAY_TOKEN: input.gateway.token,
      AI_FLOW_AI_GATEWAY_HEADERS: gatewayHeaderLines(input.gateway),
      BATON_GATEWAY_ANTHROPIC_URL: trimTrailingSlashes(input.gateway.anthropicBaseUrl),
      BATON_GATEWAY_OPENAI_URL: trimTrailingSlashes(input.gateway.openaiBaseUrl),
      BATON_GATEWAY_GOOGLE_URL: trimTrailingSlashes(input.gateway.googleBaseUrl),
      ...(input.model === undefined ? {} : { BATON_AGENT_MODEL: input.model }),
      ...noProxyEnv(input.gateway),
    },
    files: {},
  };
}

export const customProfile: AgentProfile = {
  name: 'custom',
  displayName: 'Custom commands',
  provider: null,
  tool: null,
  // The commands choose their model; a flow's `model` reaches them as BATON_AGENT_MODEL.
  defaultModel: '',
  gitIdentity: { name: 'Baton Agent', email: 'agent@baton.invalid' },
  launch,
  parser: () => new CustomOutputParser(),
};
