import { describe, expect, it } from 'vitest';
import { IdleSlots } from './idle-slots.ts';

describe('IdleSlots', () => {
  it('wakes one sleeping slot per wake-up', async () => {
    const slots = new IdleSlots();
    const woken: number[] = [];
    const sleepers = [1, 2, 3].map((n) => slots.sleep().then(() => woken.push(n)));
    slots.wakeOne();
    await Promise.resolve();
    await Promise.resolve();
    expect(woken).toEqual([1]);
    slots.wakeOne();
    slots.wakeOne();
    await Promise.all(sleepers);
    expect(woken).toEqual([1, 2, 3]);
  });

  it('keeps a wake-up sent while no slot sleeps for the next one', async () => {
    const slots = new IdleSlots();
    slots.wakeOne();
    slots.wakeOne();
    await slots.sleep();
    let late = false;
    void slots.sleep().then(() => (late = true));
    await Promise.resolve();
    // Kept once, not counted: a busy slot looks for work when it is done anyway.
    expect(late).toBe(false);
    slots.close();
    await slots.sleep();
    await Promise.resolve();
    expect(late).toBe(true);
  });
});
