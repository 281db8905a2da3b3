import { describe, expect, it } from 'vitest';
import { ExpiringCache } from './expiring-cache.ts';

function counted(value: string) {
  let calls = 0;
  return {
    load: () => {
      calls += 1;
      return Promise.resolve(`${value}#${calls}`);
    },
    calls: () => calls,
  };
}

describe('ExpiringCache', () => {
  it('answers from memory until the TTL has passed, then asks again', async () => {
    const clock = { now: 0 };
    const cache = new ExpiringCache<string>({ ttlMs: 100, now: () => clock.now });
    const alice = counted('alice');
    expect(await cache.get('1:7', alice.load)).toBe('alice#1');
    clock.now = 99;
    expect(await cache.get('1:7', alice.load)).toBe('alice#1');
    clock.now = 100;
    expect(await cache.get('1:7', alice.load)).toBe('alice#2');
    expect(alice.calls()).toBe(2);
  });

  it('shares a pending look-up between callers', async () => {
    const cache = new ExpiringCache<string>({ ttlMs: 100 });
    const alice = counted('alice');
    const both = await Promise.all([cache.get('k', alice.load), cache.get('k', alice.load)]);
    expect(both).toEqual(['alice#1', 'alice#1']);
    expect(alice.calls()).toBe(1);
  });

  it('never serves a failure from memory', async () => {
    const cache = new ExpiringCache<string>({ ttlMs: 60_000 });
    await expect(cache.get('k', () => Promise.reject(new Error('forge down')))).rejects.toThrow(
      'forge down',
    );
    expect(await cache.get('k', () => Promise.resolve('fresh'))).toBe('fresh');
  });

  it('stays bounded: past the limit it forgets everything rather than grow', async () => {
    const cache = new ExpiringCache<string>({ ttlMs: 60_000, maxEntries: 2 });
    const a = counted('a');
    await cache.get('a', a.load);
    await cache.get('b', () => Promise.resolve('b'));
    await cache.get('c', () => Promise.resolve('c'));
    expect(await cache.get('a', a.load)).toBe('a#2');
  });
});
