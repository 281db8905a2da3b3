import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './agent-config.ts';

describe('parseAgentConfig', () => {
  it('reads the network policy', () => {
    const config = parseAgentConfig(
      'image: node:22\nnetwork_policy:\n  allowed_domains:\n    - registry.npmjs.org\n    - "*.example.com"\n  denied_domains:\n    - evil.example.com\n',
    );
    expect(config).toEqual({
      ok: true,
      networkPolicy: {
        allowedDomains: ['registry.npmjs.org', '*.example.com'],
        deniedDomains: ['evil.example.com'],
      },
      notes: [],
    });
  });

  it('gives no network without a policy', () => {
    expect(parseAgentConfig('image: node:22\n')).toEqual({
      ok: true,
      networkPolicy: null,
      notes: [],
    });
  });

  it('refuses "*" as GitLab does', () => {
    const config = parseAgentConfig('network_policy:\n  allowed_domains: ["*"]\n');
    expect(config.ok).toBe(false);
  });

  it('names the bad key', () => {
    const config = parseAgentConfig('network_policy:\n  allowed_domains: registry.npmjs.org\n');
    expect(config).toMatchObject({
      ok: false,
      error: expect.stringContaining('/network_policy/allowed_domains') as string,
    });
  });

  it('says that the recommended list is not supported instead of ignoring it silently', () => {
    const config = parseAgentConfig(
      'network_policy:\n  include_recommended_allowed: true\n  allowed_domains: [a.example]\n',
    );
    expect(config).toMatchObject({
      ok: true,
      notes: [expect.stringContaining('not supported') as string],
    });
  });
});
