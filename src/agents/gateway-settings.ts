/**
 * Gateway settings every profile hands its CLI in one form or another: the headers to send,
 * and the proxy exemption that keeps model calls off a run's network-policy proxy.
 */
import { AppError } from '../errors/app-error.ts';
import type { GatewayAccess } from './agent-profile.ts';

const headerNamePattern = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * The gateway's headers, checked: they are written into line-based, TOML and JSON settings, so
 * a name must be an HTTP token and a value must not break a line.
 */
export function checkedGatewayHeaders(gateway: GatewayAccess): [string, string][] {
  const entries = Object.entries(gateway.headers);
  for (const [name, value] of entries) {
    if (!headerNamePattern.test(name) || /[\r\n\0]/.test(value)) {
      throw new AppError('INTERNAL', 'A gateway header cannot be passed to an agent CLI', {
        details: { header: name },
      });
    }
  }
  return entries;
}

/** `Name: value` lines, the form `ANTHROPIC_CUSTOM_HEADERS` and `AI_FLOW_AI_GATEWAY_HEADERS` use. */
export function gatewayHeaderLines(gateway: GatewayAccess): string {
  return checkedGatewayHeaders(gateway)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/**
 * `NO_PROXY` for a run: the gateway's hosts and the loopback. With a network policy the sandbox
 * sets `HTTP(S)_PROXY` to its policy proxy, which refuses loopback targets; Claude Code, Codex,
 * Gemini CLI and Opencode all honour the proxy variables, so without this exemption every model
 * call would be refused.
 */
export function gatewayNoProxy(gateway: GatewayAccess): string {
  const hosts = new Set(['127.0.0.1', 'localhost', '::1']);
  for (const url of [gateway.anthropicBaseUrl, gateway.openaiBaseUrl, gateway.googleBaseUrl]) {
    try {
      hosts.add(new URL(url).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      // An unparsable URL fails in the CLI itself, with a clearer message than ours.
    }
  }
  return [...hosts].join(',');
}

/** Both spellings, since CLIs disagree on which one they read. */
export function noProxyEnv(gateway: GatewayAccess): Record<string, string> {
  const value = gatewayNoProxy(gateway);
  return { NO_PROXY: value, no_proxy: value };
}

/** A base URL without trailing slashes, so a path can be appended. */
export function trimTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
