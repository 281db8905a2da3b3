import { describe, expect, it } from 'vitest';
import {
  decideHost,
  isAddressAllowed,
  isInternalAddress,
  matchesDomain,
  policyProblems,
} from './domain-policy.ts';

const policy = {
  allowedDomains: ['gitlab.example', '*.npmjs.org', '10.0.0.5'],
  deniedDomains: ['evil.npmjs.org'],
};

describe('network policy matching (GitLab network_policy semantics)', () => {
  it('allows exact names, case- and trailing-dot-insensitively', () => {
    expect(decideHost('GitLab.Example.', policy)).toEqual({
      allowed: true,
      rule: 'allowed_domains: gitlab.example',
    });
    expect(decideHost('sub.gitlab.example', policy).allowed).toBe(false);
  });

  it('matches *.domain on subdomains only, never the apex or a look-alike suffix', () => {
    expect(matchesDomain('registry.npmjs.org', '*.npmjs.org')).toBe(true);
    expect(matchesDomain('a.b.npmjs.org', '*.npmjs.org')).toBe(true);
    expect(matchesDomain('npmjs.org', '*.npmjs.org')).toBe(false);
    expect(matchesDomain('evilnpmjs.org', '*.npmjs.org')).toBe(false);
  });

  it('lets denied_domains win over a wildcard allow', () => {
    expect(decideHost('evil.npmjs.org', policy)).toEqual({
      allowed: false,
      rule: 'denied_domains: evil.npmjs.org',
    });
  });

  it('refuses a host in neither list', () => {
    expect(decideHost('example.com', policy)).toEqual({
      allowed: false,
      rule: 'not in allowed_domains',
    });
  });

  it('classifies loopback, private, link-local and mapped addresses as internal', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '2606:4700::1111', '172.32.0.1']) {
      expect(isInternalAddress(address), address).toBe(false);
    }
  });

  it('reaches an internal address only when allowed_domains lists that IP literally', () => {
    expect(isAddressAllowed('10.0.0.5', policy)).toBe(true);
    expect(isAddressAllowed('10.0.0.6', policy)).toBe(false);
    expect(isAddressAllowed('127.0.0.1', policy)).toBe(false);
    expect(isAddressAllowed('93.184.216.34', policy)).toBe(true);
  });

  it('rejects a bare * and entries that are not domains', () => {
    expect(
      policyProblems({
        allowedDomains: ['*', 'ok.example', 'http://x.example'],
        deniedDomains: [],
      }),
    ).toHaveLength(2);
    expect(policyProblems(policy)).toEqual([]);
  });
});
