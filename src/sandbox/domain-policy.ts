import { isIP } from 'node:net';
import type { NetworkPolicy } from './sandbox.ts';

export interface PolicyDecision {
  allowed: boolean;
  /** The entry that decided, or why nothing did. */
  rule: string;
}

/** Lower-case, without a trailing dot or IPv6 brackets, so that spellings of one host compare equal. */
export function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.toLowerCase().replace(/\.$/, '');
}

/** `*.example.com` matches subdomains only, as in GitLab's sandbox; anything else matches exactly. */
export function matchesDomain(host: string, entry: string): boolean {
  const pattern = normalizeHost(entry);
  if (pattern.startsWith('*.'))
    return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/** Decides by name only; the proxy separately refuses private addresses a name resolves to. */
export function decideHost(rawHost: string, policy: NetworkPolicy): PolicyDecision {
  const host = normalizeHost(rawHost);
  const denied = policy.deniedDomains.find((entry) => matchesDomain(host, entry));
  if (denied !== undefined) return { allowed: false, rule: `denied_domains: ${denied}` };
  const allowed = policy.allowedDomains.find((entry) => matchesDomain(host, entry));
  if (allowed !== undefined) return { allowed: true, rule: `allowed_domains: ${allowed}` };
  return { allowed: false, rule: 'not in allowed_domains' };
}

/** Problems that make a policy unusable; GitLab refuses `*` and limits each list to 1000 entries. */
export function policyProblems(policy: NetworkPolicy): string[] {
  const problems: string[] = [];
  for (const [key, list] of [
    ['allowed_domains', policy.allowedDomains],
    ['denied_domains', policy.deniedDomains],
  ] as const) {
    if (list.length > 1000) problems.push(`${key} has more than 1000 entries`);
    for (const entry of list) {
      const host = normalizeHost(entry);
      const body = host.startsWith('*.') ? host.slice(2) : host;
      if (
        isIP(body) === 0 &&
        !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(body)
      )
        problems.push(
          `${key} entry ${JSON.stringify(entry)} is not a domain, *.domain or IP address`,
        );
    }
  }
  return problems;
}

function ipv4Parts(address: string): number[] | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped?.[1] ?? address;
  if (isIP(v4) !== 4) return undefined;
  return v4.split('.').map(Number);
}

/**
 * Loopback, private, link-local, shared, unspecified, multicast and reserved addresses: reaching
 * them through the proxy would give a run Baton's host services or the internal network.
 */
export function isInternalAddress(address: string): boolean {
  const v4 = ipv4Parts(address);
  if (v4 !== undefined) {
    const [a = 0, b = 0] = v4;
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  return (
    v6 === '::' ||
    v6 === '::1' ||
    /^f[cd]/.test(v6) ||
    /^fe[89ab]/.test(v6) ||
    v6.startsWith('ff') ||
    v6.startsWith('64:ff9b:') ||
    v6.startsWith('2001:db8:')
  );
}

/** An internal address is only reachable when allowed_domains lists it as an IP literal. */
export function isAddressAllowed(address: string, policy: NetworkPolicy): boolean {
  const wanted = normalizeHost(address);
  const listed = (list: string[]): boolean => list.some((entry) => normalizeHost(entry) === wanted);
  if (listed(policy.deniedDomains)) return false;
  return !isInternalAddress(address) || listed(policy.allowedDomains);
}
