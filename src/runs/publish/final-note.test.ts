import { describe, expect, it } from 'vitest';
import { finalNote, formatDuration, type FinalNoteInput } from './final-note.ts';
import { neutralizeQuickActions } from './forge-markdown.ts';

const secret = 'sk-ant-very-secret-0001';
const base = { runId: 'abc123def456', durationMs: 125_000, secrets: [secret] };

function note(outcome: FinalNoteInput['outcome'], extra: Partial<FinalNoteInput> = {}) {
  return finalNote({ ...base, outcome, ...extra });
}

describe('finalNote', () => {
  it('links a merge request Baton opened, with the duration and usage', () => {
    const result = note(
      {
        kind: 'published',
        result: { kind: 'merge_request', url: 'http://f/mr/7', iid: 7, created: true },
      },
      {
        usage: { inputTokens: 12_345, outputTokens: 678, costUsd: 0.1234 },
        runUrl: 'http://b/runs/abc',
      },
    );
    expect(result.placement).toBe('edit');
    expect(result.body).toContain('[!7](http://f/mr/7)');
    expect(result.body).toContain('Duration 2 min 5 s');
    expect(result.body).toContain('12,345 input / 678 output tokens · $0.12');
    expect(result.body).toContain('[Run abc123def456](http://b/runs/abc)');
  });

  it('says the flow opened the merge request when Baton only linked it', () => {
    const result = note({
      kind: 'published',
      result: { kind: 'merge_request', url: 'http://f/mr/8', iid: 8, created: false },
    });
    expect(result.body).toContain('The agent opened merge request [!8](http://f/mr/8)');
  });

  it('names the branch and commit after a push to the source branch', () => {
    const result = note({
      kind: 'published',
      result: { kind: 'pushed', branch: 'feature/x', sha: '0123456789abcdef' },
    });
    expect(result.body).toContain('pushed to `feature/x` (commit `01234567`)');
  });

  it("replies with the agent's answer when nothing changed, masked and without quick actions", () => {
    const result = note({
      kind: 'published',
      result: { kind: 'no_changes' },
      answer: `The key is ${secret}.\n/merge\n/approve`,
    });
    expect(result.placement).toBe('reply');
    expect(result.body).not.toContain(secret);
    expect(result.body).toContain('The key is [MASKED].');
    expect(result.body).not.toMatch(/^\/merge/m);
    expect(result.body).toContain('\\/merge');
  });

  it('says which step failed, with the exit code, the last log lines masked, and what to do', () => {
    const logTail = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    logTail.push(`Authorization: Bearer ${secret}`);
    const result = note({ kind: 'failed', step: 'agent', exitCode: 2, logTail });
    expect(result.placement).toBe('edit');
    expect(result.body).toContain('❌ The run failed while running the agent (exit code 2).');
    expect(result.body).toContain('line 29');
    expect(result.body).not.toContain('line 10\n');
    expect(result.body).not.toContain(secret);
    expect(result.body).toContain('fix it, then ask again');
  });

  it("uses a publishing error's own message instead of the generic advice", () => {
    const message = 'Baton could not push workloads/x: the branch is protected. A maintainer can …';
    const result = note({ kind: 'failed', step: 'push', message });
    expect(result.body).toContain('failed while pushing the changes.');
    expect(result.body).toContain(message);
    expect(result.body).not.toContain('Check that the service account has the Developer role');
  });

  it('reports a timeout with the limit and a way forward', () => {
    const result = note({ kind: 'timed_out', limitMs: 7_200_000, logTail: ['still thinking'] });
    expect(result.body).toContain('did not finish within 2 h');
    expect(result.body).toContain('still thinking');
    expect(result.body).toContain('raise the time limit');
  });

  it('says who cancelled the run', () => {
    expect(note({ kind: 'cancelled', by: 'alice' }).body).toContain('cancelled by @alice');
    expect(note({ kind: 'cancelled', by: null }).body).toContain('The run was cancelled.');
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850 ms'],
    [12_400, '12 s'],
    [60_000, '1 min'],
    [125_000, '2 min 5 s'],
    [3_780_000, '1 h 3 min'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('neutralizeQuickActions', () => {
  it('escapes commands at the start of a line but not inside closed code fences', () => {
    const text = 'Done.\n  /close\n```sh\n/usr/bin/env node\n```\n/label ~bug';
    expect(neutralizeQuickActions(text)).toBe(
      'Done.\n  \\/close\n```sh\n/usr/bin/env node\n```\n\\/label ~bug',
    );
  });

  it('escapes commands after an unclosed fence, which GitLab does not treat as code', () => {
    expect(neutralizeQuickActions('```\n/merge')).toBe('```\n\\/merge');
  });
});
