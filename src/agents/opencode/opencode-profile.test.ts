import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleLaunchInput } from '../../../test/helpers/agent-tools.ts';
import { opencodeProfile, opencodeTool } from './opencode-profile.ts';

const input = (overrides: Parameters<typeof sampleLaunchInput>[0] = {}) =>
  sampleLaunchInput({ toolSpec: opencodeTool, ...overrides });

describe('Opencode launch', () => {
  it('runs opencode run --format json --auto with the prompt file on stdin, no positional', () => {
    const launch = opencodeProfile.launch(input());
    expect(launch.command).toEqual([
      'sh',
      '-c',
      'exec "$0" run --format json --auto --title "$2" < "$1"',
      '/tools/cli/node_modules/.bin/opencode',
      '/home/agent/.baton/prompt.txt',
      'Baton run-42',
    ]);
    expect(launch.files).toEqual({ '.baton/prompt.txt': 'Fix the failing test in src/app.ts' });
  });

  it('gives the CLI exactly the prompt on stdin, whatever the prompt holds', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'opencode-launch-'));
    const prompt = `-x "quoted" $HOME \`id\`\nsecond line`;
    const launch = opencodeProfile.launch(input({ homeDir: home, prompt }));
    for (const [relative, content] of Object.entries(launch.files)) {
      mkdirSync(path.dirname(path.join(home, relative)), { recursive: true });
      writeFileSync(path.join(home, relative), content);
    }
    // Stands in for the CLI: prints its arguments, then its stdin.
    const fake = path.join(home, 'fake-opencode');
    writeFileSync(fake, '#!/bin/sh\nprintf "%s|" "$@"\necho\ncat\n', { mode: 0o755 });
    const [shell = '', ...args] = launch.command;
    args[2] = fake;
    const output = execFileSync(shell, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    expect(output).toBe(`run|--format|json|--auto|--title|Baton run-42|\n${prompt}`);
  });

  it('configures one Anthropic-protocol provider at the gateway with the run token', () => {
    const launch = opencodeProfile.launch(input());
    const config: unknown = JSON.parse(launch.env['OPENCODE_CONFIG_CONTENT'] ?? '');
    expect(config).toEqual({
      provider: {
        baton: {
          npm: '@ai-sdk/anthropic',
          name: 'Baton gateway',
          options: {
            baseURL: 'http://127.0.0.1:7001/gateway/anthropic/v1',
            authToken: 'baton-run-token-42',
            headers: { 'X-Baton-Run': 'run-42' },
          },
          models: { 'claude-sonnet-4-5': { name: 'claude-sonnet-4-5', tool_call: true } },
        },
      },
      enabled_providers: ['baton'],
      model: 'baton/claude-sonnet-4-5',
      small_model: 'baton/claude-sonnet-4-5',
      autoupdate: false,
      share: 'disabled',
      snapshot: false,
    });
  });

  it('switches off model-list fetches, updates, plugin installs and keeps state under HOME', () => {
    const { env } = opencodeProfile.launch(input());
    expect(env).toMatchObject({
      OPENCODE_DISABLE_PROJECT_CONFIG: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      npm_config_offline: 'true',
      XDG_CONFIG_HOME: '/home/agent/.config',
      XDG_DATA_HOME: '/home/agent/.local/share',
      XDG_CACHE_HOME: '/home/agent/.cache',
      XDG_STATE_HOME: '/home/agent/.local/state',
      NO_PROXY: '127.0.0.1,localhost,::1',
    });
  });

  it('limits the agent steps when the flow sets max turns', () => {
    const { env } = opencodeProfile.launch(input({ maxTurns: 7, model: 'claude-opus-4-6' }));
    const config = JSON.parse(env['OPENCODE_CONFIG_CONTENT'] ?? '') as Record<string, unknown>;
    expect(config['agent']).toEqual({ build: { steps: 7 } });
    expect(config['model']).toBe('baton/claude-opus-4-6');
  });
});
