import { describe, expect, it } from 'vitest';
import { sampleLaunchInput } from '../../../test/helpers/agent-tools.ts';
import { codexProfile, codexTool } from './codex-profile.ts';

const input = (overrides: Parameters<typeof sampleLaunchInput>[0] = {}) =>
  sampleLaunchInput({ toolSpec: codexTool, ...overrides });

/** The `-c key=value` overrides of a command line, as a map. */
function overrides(command: string[]): Map<string, string> {
  const map = new Map<string, string>();
  command.forEach((arg, index) => {
    if (arg !== '-c') return;
    const setting = command[index + 1] ?? '';
    const equals = setting.indexOf('=');
    map.set(setting.slice(0, equals), setting.slice(equals + 1));
  });
  return map;
}

describe('Codex launch', () => {
  it('runs codex exec --json, ephemeral, without its own sandbox, the prompt last', () => {
    const { command } = codexProfile.launch(input());
    expect(command.slice(0, 9)).toEqual([
      '/tools/cli/node_modules/.bin/codex',
      'exec',
      '--json',
      '--ephemeral',
      '--skip-git-repo-check',
      '--dangerously-bypass-approvals-and-sandbox',
      '--model',
      'gpt-5.5',
      '-c',
    ]);
    expect(command.slice(-2)).toEqual(['--', 'Fix the failing test in src/app.ts']);
  });

  it('defines the gateway as a Responses provider whose token comes from the environment', () => {
    const settings = overrides(codexProfile.launch(input()).command);
    expect(Object.fromEntries(settings)).toEqual({
      model_provider: '"baton"',
      'model_providers.baton.name': '"Baton gateway"',
      'model_providers.baton.base_url': '"http://127.0.0.1:7001/gateway/openai/v1"',
      'model_providers.baton.env_key': '"BATON_GATEWAY_TOKEN"',
      'model_providers.baton.wire_api': '"responses"',
      'model_providers.baton.http_headers': '{"X-Baton-Run" = "run-42"}',
      'model_providers.baton.request_max_retries': '1',
      'model_providers.baton.stream_max_retries': '1',
      'analytics.enabled': 'false',
      'otel.metrics_exporter': '"none"',
      'features.plugins': 'false',
      'features.unbounded_connection_retries': 'false',
      check_for_update_on_startup: 'false',
    });
  });

  it('keeps the token out of the command line and CODEX_HOME under HOME, not /tmp', () => {
    const launch = codexProfile.launch(input());
    expect(launch.command.join(' ')).not.toContain('baton-run-token-42');
    expect(launch.env).toEqual({
      CODEX_HOME: '/home/agent/.codex',
      BATON_GATEWAY_TOKEN: 'baton-run-token-42',
      NO_PROXY: '127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
    });
    expect(Object.keys(launch.files)).toEqual(['.codex/config.toml']);
  });

  it('escapes header values as TOML strings', () => {
    const base = input();
    const launch = codexProfile.launch({
      ...base,
      gateway: { ...base.gateway, headers: { 'X-Note': 'a "quoted" \\ value' } },
    });
    expect(overrides(launch.command).get('model_providers.baton.http_headers')).toBe(
      '{"X-Note" = "a \\"quoted\\" \\\\ value"}',
    );
  });

  it('refuses a header that would break a line', () => {
    const base = input();
    expect(() =>
      codexProfile.launch({ ...base, gateway: { ...base.gateway, headers: { 'X-A': 'a\nb' } } }),
    ).toThrow(expect.objectContaining({ code: 'INTERNAL' }) as Error);
  });

  it("uses the flow's model", () => {
    const { command } = codexProfile.launch(input({ model: 'gpt-5.3-codex' }));
    expect(command[command.indexOf('--model') + 1]).toBe('gpt-5.3-codex');
  });
});
