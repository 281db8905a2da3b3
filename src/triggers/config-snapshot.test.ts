import { describe, expect, it } from 'vitest';
import { ConfigSnapshot } from './config-snapshot.ts';

/** A table whose loads are counted and released by hand, on a clock the test moves. */
function table() {
  const clock = { now: 0 };
  let version = 0;
  const loads: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const snapshot = new ConfigSnapshot(
    () => {
      const seen = ++version;
      return new Promise<number>((resolve, reject) => {
        loads.push({
          resolve: () => {
            resolve(seen);
          },
          reject,
        });
      });
    },
    { ttlMs: 1000, now: () => clock.now },
  );
  const finishLoads = () => {
    for (const load of loads.splice(0)) load.resolve();
  };
  return { clock, snapshot, loads, finishLoads };
}

describe('ConfigSnapshot', () => {
  it('reads the table once for every caller while the snapshot is young', async () => {
    const { snapshot, loads, finishLoads, clock } = table();
    const first = [snapshot.get(), snapshot.get()];
    expect(loads).toHaveLength(1);
    finishLoads();
    expect(await Promise.all(first)).toEqual([1, 1]);
    clock.now = 999;
    expect(await snapshot.get()).toBe(1);
    expect(loads).toHaveLength(0);
  });

  it('reads the table again once the snapshot is as old as the TTL (another process’s change)', async () => {
    const { snapshot, loads, finishLoads, clock } = table();
    const first = snapshot.get();
    finishLoads();
    await first;
    clock.now = 1000;
    const second = snapshot.get();
    expect(loads).toHaveLength(1);
    finishLoads();
    expect(await second).toBe(2);
  });

  it('counts the age from when the load began, not when it ended', async () => {
    const { snapshot, finishLoads, loads, clock } = table();
    const first = snapshot.get();
    clock.now = 900;
    finishLoads();
    await first;
    clock.now = 1000;
    void snapshot.get();
    expect(loads).toHaveLength(1);
  });

  it('reads the table again at once after this process wrote to it', async () => {
    const { snapshot, finishLoads, loads } = table();
    const first = snapshot.get();
    finishLoads();
    await first;
    snapshot.invalidate();
    const second = snapshot.get();
    expect(loads).toHaveLength(1);
    finishLoads();
    expect(await second).toBe(2);
  });

  it('never keeps a load that began before a write: it may have read the old rows', async () => {
    const { snapshot, finishLoads, loads } = table();
    const before = snapshot.get();
    snapshot.invalidate();
    const after = snapshot.get();
    expect(loads).toHaveLength(2);
    finishLoads();
    expect(await before).toBe(1);
    expect(await after).toBe(2);
    expect(await snapshot.get()).toBe(2);
    expect(loads).toHaveLength(0);
  });

  it('keeps no failed load: the next caller reads again', async () => {
    const { snapshot, loads, finishLoads } = table();
    const failing = snapshot.get();
    loads.splice(0)[0]?.reject(new Error('database unavailable'));
    await expect(failing).rejects.toThrow('database unavailable');
    const retried = snapshot.get();
    expect(loads).toHaveLength(1);
    finishLoads();
    expect(await retried).toBe(2);
  });
});
