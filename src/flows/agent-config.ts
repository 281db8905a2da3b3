import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { NetworkPolicy } from '../sandbox/sandbox.ts';
import { policyProblems } from '../sandbox/domain-policy.ts';

/** Where GitLab reads a project's execution settings (default branch only). */
export const agentConfigPath = '.gitlab/duo/agent-config.yml';

const domains = z.array(z.string().min(1).max(253)).max(1000);

/** GitLab's `agent-config.yml`, as much as Baton uses: the network policy. Other keys pass. */
const agentConfigSchema = z.object({
  network_policy: z
    .object({
      allowed_domains: domains.default([]),
      denied_domains: domains.default([]),
      include_recommended_allowed: z.boolean().default(false),
    })
    .optional(),
});

export type AgentConfig =
  { ok: true; networkPolicy: NetworkPolicy | null; notes: string[] } | { ok: false; error: string };

/**
 * Reads `.gitlab/duo/agent-config.yml`. Without a `network_policy` a run gets no outbound
 * network at all (only Baton's own forwarded services); with one, only the allowed domains,
 * through the sandbox's policy proxy.
 */
export function parseAgentConfig(text: string): AgentConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) return { ok: false, error: `invalid ${agentConfigPath}: ${syntax.message}` };
  const parsed = agentConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `/${issue.path.map(String).join('/')}` : '';
    return {
      ok: false,
      error: `invalid ${agentConfigPath}: value at \`${where}\` ${issue?.message ?? 'is invalid'}`,
    };
  }
  const policy = parsed.data.network_policy;
  if (!policy) return { ok: true, networkPolicy: null, notes: [] };
  const networkPolicy = {
    allowedDomains: policy.allowed_domains,
    deniedDomains: policy.denied_domains,
  };
  const problems = policyProblems(networkPolicy);
  if (problems.length > 0)
    return { ok: false, error: `invalid ${agentConfigPath}: ${problems.join('; ')}` };
  const notes = policy.include_recommended_allowed
    ? [
        'include_recommended_allowed is not supported by Baton: list the domains the flow needs in allowed_domains',
      ]
    : [];
  return { ok: true, networkPolicy, notes };
}
