import { describe, expect, it } from 'vitest';
import { sampleLaunchInput } from '../../../test/helpers/agent-tools.ts';
import { geminiProfile, geminiTool } from './gemini-profile.ts';

const input = (overrides: Parameters<typeof sampleLaunchInput>[0] = {}) =>
  sampleLaunchInput({ toolSpec: geminiTool, ...overrides });

describe('Gemini CLI launch', () => {
  it('runs gemini headless with stream-json, a pinned model, yolo and skip-trust', () => {
    expect(geminiProfile.launch(input()).command).toEqual([
      '/tools/cli/node_modules/.bin/gemini',
      '--prompt=Fix the failing test in src/app.ts',
      '--model',
      'gemini-2.5-flash',
      '--yolo',
      '--skip-trust',
      '--output-format',
      'stream-json',
    ]);
  });

  it('points Gemini at the gateway with the run token as its API key, in one process', () => {
    expect(geminiProfile.launch(input()).env).toEqual({
      GEMINI_CLI_HOME: '/home/agent',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:7001/gateway/google',
      GEMINI_API_KEY: 'baton-run-token-42',
      GEMINI_CLI_CUSTOM_HEADERS: 'X-Baton-Run: run-42',
      GEMINI_CLI_NO_RELAUNCH: '1',
      NO_PROXY: '127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
    });
  });

  it('writes settings that pick API-key auth and switch off statistics, telemetry, updates and retries', () => {
    const { files } = geminiProfile.launch(input({ maxTurns: 9 }));
    expect(Object.keys(files)).toEqual(['.gemini/settings.json']);
    expect(JSON.parse(files['.gemini/settings.json'] ?? '')).toEqual({
      security: { auth: { selectedType: 'gemini-api-key' } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: {
        enableAutoUpdate: false,
        enableAutoUpdateNotification: false,
        maxAttempts: 1,
        retryFetchErrors: false,
      },
      model: { maxSessionTurns: 9 },
    });
  });

  it('keeps a prompt that starts with a dash the value of --prompt', () => {
    const { command } = geminiProfile.launch(input({ prompt: '-m other-model' }));
    expect(command[1]).toBe('--prompt=-m other-model');
    expect(command[command.indexOf('--model') + 1]).toBe('gemini-2.5-flash');
  });

  it('refuses a header value with a comma, which Gemini would split', () => {
    const base = input();
    expect(() =>
      geminiProfile.launch({
        ...base,
        gateway: { ...base.gateway, headers: { 'X-A': 'a, B: c' } },
      }),
    ).toThrow(expect.objectContaining({ code: 'INTERNAL' }) as Error);
  });
});
