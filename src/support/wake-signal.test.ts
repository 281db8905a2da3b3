import { describe, expect, it } from 'vitest';
import { WakeSignal } from './wake-signal.ts';

describe('WakeSignal', () => {
  it('keeps a signal sent while nobody sleeps for the next sleep', async () => {
    const signal = new WakeSignal();
    signal.notify();
    let woke = false;
    await signal.sleep().then(() => (woke = true));
    expect(woke).toBe(true);
  });

  it('wakes every sleeper once, then sleeps again until the next signal', async () => {
    const signal = new WakeSignal();
    const woken: number[] = [];
    const sleepers = [1, 2].map((n) => signal.sleep().then(() => woken.push(n)));
    signal.notify();
    await Promise.all(sleepers);
    expect(woken.sort()).toEqual([1, 2]);
    let late = false;
    void signal.sleep().then(() => (late = true));
    await Promise.resolve();
    expect(late).toBe(false);
    signal.close();
    await signal.sleep();
    await Promise.resolve();
    expect(late).toBe(true);
  });
});
