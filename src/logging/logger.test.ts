import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('redacts tokens and keys wherever they sit in a logged object', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    logger.info(
      {
        token: 'glpat-secret-1',
        connection: { webhookSecret: 'hook-secret-2', url: 'https://gitlab.example.com' },
        req: { headers: { 'private-token': 'glpat-secret-3', 'x-gitlab-token': 'hook-secret-4' } },
        provider: { apiKey: 'sk-ant-secret-5' },
      },
      'connected',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of ['secret-1', 'secret-2', 'secret-3', 'secret-4', 'secret-5']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('https://gitlab.example.com');
    expect(text).toContain('[REDACTED]');
  });

  it('keeps context on child loggers', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    logger.child({ deliveryId: 'd-1', project: 'demo/app' }).warn({ reason: 'x' }, 'refused');
    const [line] = out.lines();
    expect(line).toMatchObject({ deliveryId: 'd-1', project: 'demo/app', msg: 'refused' });
  });
});
