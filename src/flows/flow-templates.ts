/**
 * Built-in flows equivalent to GitLab's five tested third-party integrations (gitlab-spec.md
 * §1.5), written in Baton's native form: Baton installs the CLI, points it at its gateway with a
 * per-run token, and commits, pushes and opens the merge request itself, so none of GitLab's
 * install, glab or git lines are needed and no key or forge token enters the sandbox.
 */

export interface FlowTemplate {
  name: string;
  description: string;
  yaml: string;
}

const howItWorks =
  '# Baton starts the agent in its sandbox and publishes its changes as a merge request.\n';

export const flowTemplates: readonly FlowTemplate[] = [
  {
    name: 'claude-code',
    description: "Anthropic's Claude Code, as GitLab's Claude Code example (managed credentials)",
    yaml: `# Claude Code: GitLab's "Claude Code" third-party flow, Baton-native.
${howItWorks}agent: claude
model: claude-sonnet-4-5
max_turns: 50
allowed_tools:
  - Bash
  - Edit
  - Write
  - Read
timeout: 60m
`,
  },
  {
    name: 'codex',
    description: "OpenAI's Codex CLI, as GitLab's Codex example (managed credentials)",
    yaml: `# OpenAI Codex: GitLab's "Codex" third-party flow, Baton-native.
${howItWorks}agent: codex
model: gpt-5.5
timeout: 60m
`,
  },
  {
    name: 'opencode',
    description: "Opencode, as GitLab's Opencode example (its key stays in Baton's gateway)",
    yaml: `# Opencode: GitLab's "Opencode" third-party flow, Baton-native.
# GitLab's example needs ANTHROPIC_API_KEY inside the job; here the gateway adds the key.
${howItWorks}agent: opencode
model: claude-sonnet-4-5
timeout: 60m
`,
  },
  {
    name: 'gemini-cli',
    description:
      "Google's Gemini CLI, as GitLab's Gemini example (its key stays in Baton's gateway)",
    yaml: `# Gemini CLI: GitLab's "Gemini" third-party flow, Baton-native.
# GitLab's example writes Vertex credentials into the job; here the gateway adds the key.
${howItWorks}agent: gemini
model: gemini-2.5-flash
timeout: 60m
`,
  },
  {
    name: 'amazon-q',
    description:
      "Amazon Q Developer CLI, as GitLab's Amazon Q example (its AWS credentials enter the sandbox)",
    yaml: `# Amazon Q Developer CLI: GitLab's "Amazon Q" third-party flow, Baton-native.
# Amazon Q signs its requests to AWS itself (SigV4), so Baton's gateway cannot hold its key:
# the listed variables are given to the agent, and the network policy in
# .gitlab/duo/agent-config.yml must allow AWS's hosts. The \`q\` executable is not on npm: an
# administrator installs it on the Baton host (see src/agents/amazon-q/readme.md).
${howItWorks}agent: amazon-q
timeout: 60m
variables:
  - AWS_ACCESS_KEY_ID
  - AWS_SECRET_ACCESS_KEY
  - AWS_REGION_NAME
`,
  },
];

export function flowTemplate(name: string): FlowTemplate | undefined {
  return flowTemplates.find((template) => template.name === name);
}
