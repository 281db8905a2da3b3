import { describe, expect, it } from 'vitest';
import type { ForgeApi } from '../forges/forge.ts';
import { createLogger } from '../logging/logger.ts';
import { describeAction, ThreadProgress } from './thread-progress.ts';

interface Timer {
  at: number;
  run: () => void;
  cancelled: boolean;
}

/** A clock the test moves by hand, and a forge that records note edits. */
function setup(options: { failEdits?: boolean } = {}) {
  let now = 1_000;
  const timers: Timer[] = [];
  const edits: string[] = [];
  const api = {
    updateNote: (_noteable: unknown, noteId: number, body: string) => {
      if (options.failEdits) return Promise.reject(new Error('429 Too Many Requests'));
      expect(noteId).toBe(7);
      edits.push(body);
      return Promise.resolve();
    },
  } as unknown as ForgeApi;
  const progress = new ThreadProgress({
    api,
    noteable: { type: 'issue', projectId: 1, iid: 2 },
    noteId: 7,
    runUrl: 'http://baton.test/runs/r1?t=x',
    intervalMs: 10_000,
    secrets: ['s3cret-token-value'],
    logger: createLogger({ level: 'silent' }),
    now: () => now,
    setTimer: (run, ms) => {
      const timer: Timer = { at: now + ms, run, cancelled: false };
      timers.push(timer);
      return {
        cancel() {
          timer.cancelled = true;
        },
      };
    },
  });
  /** Moves the clock and fires due timers, then lets their edits settle. */
  const advance = async (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => !t.cancelled && t.at <= now)) {
      timer.cancelled = true;
      timer.run();
    }
    await progress.idle();
  };
  return { progress, edits, timers, advance };
}

describe('ThreadProgress', () => {
  it('edits the note at most once per interval, with the latest state', async () => {
    const { progress, edits, advance } = setup();
    progress.step({ id: 'workspace', title: 'Prepare the workspace', state: 'active' });
    progress.step({ id: 'workspace', title: 'Prepare the workspace', state: 'done' });
    progress.step({ id: 'flow', title: 'Run Claude Code', state: 'active' });
    progress.action('Ran `npm test`');
    await advance(5_000);
    expect(edits).toEqual([]);
    await advance(5_000);
    expect(edits).toHaveLength(1);
    expect(edits[0]).toContain('✅ Agent has started.');
    expect(edits[0]).toContain('- [x] Prepare the workspace');
    expect(edits[0]).toContain('- [ ] ⏳ Run Claude Code');
    expect(edits[0]).toContain('  - Ran `npm test`');
  });

  it('lists only the last five agent actions', () => {
    const { progress } = setup();
    progress.step({ id: 'flow', title: 'Run Codex', state: 'active' });
    for (let i = 1; i <= 7; i += 1) progress.action(`Edited \`file-${i}.ts\``);
    const body = progress.body();
    expect(body).not.toContain('file-2.ts');
    expect(body).toContain('file-3.ts');
    expect(body).toContain('file-7.ts');
  });

  it('never writes a secret or a quick action into the thread', () => {
    const { progress } = setup();
    progress.step({ id: 'flow', title: 'Run the agent', state: 'active' });
    progress.action('Ran `echo s3cret-token-value`');
    progress.action('/merge now');
    const body = progress.body();
    expect(body).not.toContain('s3cret-token-value');
    expect(body).not.toMatch(/^\s*\/merge/m);
  });

  it('writes the final checklist on close when asked, and no timed edit after it', async () => {
    const { progress, edits, timers } = setup();
    progress.step({ id: 'flow', title: 'Run the agent', state: 'done' });
    await progress.close(true);
    expect(edits).toHaveLength(1);
    expect(timers.every((t) => t.cancelled)).toBe(true);
    progress.step({ id: 'publish', title: 'Publish', state: 'active' });
    expect(timers.filter((t) => !t.cancelled)).toHaveLength(0);
  });

  it('keeps going when GitLab refuses an edit', async () => {
    const { progress, advance } = setup({ failEdits: true });
    progress.step({ id: 'flow', title: 'Run the agent', state: 'active' });
    await expect(advance(10_000)).resolves.toBeUndefined();
  });
});

describe('describeAction', () => {
  it('says what the agent did in a few words', () => {
    expect(describeAction({ type: 'file_change', path: 'src/a.ts', kind: 'add' })).toBe(
      'Created `src/a.ts`',
    );
    expect(describeAction({ type: 'command', command: 'npm test\nmore', exitCode: 0 })).toBe(
      'Ran `npm test`',
    );
    expect(describeAction({ type: 'tool_call', tool: 'Read', summary: 'README.md' })).toBe(
      'Read: `README.md`',
    );
  });
});
