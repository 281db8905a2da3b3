/**
 * Every built-in agent profile, by the name a flow gives it. Profiles hold no state: one of
 * each serves every run.
 */
import type { AgentName } from '../flows/flow-definition.ts';
import type { AgentProfile } from './agent-profile.ts';
import { amazonQProfile } from './amazon-q/amazon-q-profile.ts';
import { claudeCodeProfile } from './claude-code/claude-code-profile.ts';
import { codexProfile } from './codex/codex-profile.ts';
import { customProfile } from './custom/custom-profile.ts';
import { geminiProfile } from './gemini/gemini-profile.ts';
import { opencodeProfile } from './opencode/opencode-profile.ts';

const profiles: Readonly<Record<AgentName, AgentProfile>> = Object.freeze({
  claude: claudeCodeProfile,
  codex: codexProfile,
  opencode: opencodeProfile,
  gemini: geminiProfile,
  'amazon-q': amazonQProfile,
  custom: customProfile,
});

/** The profile of a built-in agent. */
export function agentProfile(name: AgentName): AgentProfile {
  return profiles[name];
}

/** All profiles, in the order flows list agent names. */
export function allAgentProfiles(): AgentProfile[] {
  return Object.values(profiles);
}
