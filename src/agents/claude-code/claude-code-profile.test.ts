import { describe, expect, it } from 'vitest';
import { sampleLaunchInput } from '../../../test/helpers/agent-tools.ts';
import { claudeCodeProfile, claudeCodeTool } from './claude-code-profile.ts';

const input = (overrides: Parameters<typeof sampleLaunchInput>[0] = {}) =>
  sampleLaunchInput({ toolSpec: claudeCodeTool, ...overrides });

describe('Claude Code launch', () => {
  it('runs claude -p with stream-json, accepted edits and the prompt as the last operand', () => {
    const launch = claudeCodeProfile.launch(input({ maxTurns: 12 }));
    expect(launch.command).toEqual([
      '/tools/cli/node_modules/.bin/claude',
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      '--setting-sources',
      'user',
      '--strict-mcp-config',
      '--no-session-persistence',
      '--model',
      'claude-sonnet-4-5',
      '--max-turns',
      '12',
      '--',
      'Fix the failing test in src/app.ts',
    ]);
    expect(launch.files).toEqual({});
  });

  it('points Claude at the gateway with the run token, headers and no non-essential traffic', () => {
    const launch = claudeCodeProfile.launch(input());
    expect(launch.env).toEqual({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:7001/gateway/anthropic',
      ANTHROPIC_AUTH_TOKEN: 'baton-run-token-42',
      ANTHROPIC_CUSTOM_HEADERS: 'X-Baton-Run: run-42',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_MAX_RETRIES: '2',
      NO_PROXY: '127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
    });
  });

  it('bounds retries (the default is 10 with backoff)', () => {
    const retries = Number(claudeCodeProfile.launch(input()).env['CLAUDE_CODE_MAX_RETRIES']);
    expect(retries).toBeGreaterThanOrEqual(0);
    expect(retries).toBeLessThanOrEqual(3);
  });

  it("passes the flow's allowed tools and model, each tool its own argument before --", () => {
    const launch = claudeCodeProfile.launch(
      input({ allowedTools: ['Bash(git:*)', 'Bash(npm test)'], model: 'claude-opus-4-6' }),
    );
    const tail = launch.command.slice(launch.command.indexOf('--model'));
    expect(tail).toEqual([
      '--model',
      'claude-opus-4-6',
      '--allowedTools',
      'Bash(git:*)',
      'Bash(npm test)',
      '--',
      'Fix the failing test in src/app.ts',
    ]);
  });

  it('refuses an allowed tool that would read as an option', () => {
    expect(() =>
      claudeCodeProfile.launch(input({ allowedTools: ['--dangerously-skip-permissions'] })),
    ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }) as Error);
  });

  it('keeps a prompt that starts with a dash an operand', () => {
    const launch = claudeCodeProfile.launch(input({ prompt: '--help me' }));
    expect(launch.command.slice(-2)).toEqual(['--', '--help me']);
  });

  it('leaves ANTHROPIC_CUSTOM_HEADERS out when the gateway sends no headers', () => {
    const base = input();
    const launch = claudeCodeProfile.launch({ ...base, gateway: { ...base.gateway, headers: {} } });
    expect(launch.env).not.toHaveProperty('ANTHROPIC_CUSTOM_HEADERS');
  });
});
