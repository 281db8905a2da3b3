import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { opencodeChatBody } from './opencode-gemini-request-bodies.ts';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.ts');

describe('scripted provider CLI', () => {
  it('prints its URL, serves the named scenario with the given keys, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, '--port', '0', '--scenario', 'demo', '--openai-key', 'sk-cli'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    try {
      const lines = createInterface({ input: child.stdout });
      const [url] = (await once(lines, 'line')) as [string];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const request = (key: string) =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(opencodeChatBody({ stream: false })),
        });
      const ok = await request('sk-cli');
      const body = (await ok.json()) as {
        choices: { message: { tool_calls: { function: { arguments: string } }[] } }[];
      };
      const args = body.choices[0]?.message.tool_calls[0]?.function.arguments ?? '';
      expect(JSON.parse(args)).toEqual(
        expect.objectContaining({ filePath: '/work/repo/BATON_DEMO.md' }),
      );
      expect((await request('sk-other')).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
