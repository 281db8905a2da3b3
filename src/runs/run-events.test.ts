import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors/app-error.ts';
import { RunEvents, type RunEvent } from './run-events.ts';

const at = '2026-01-01T00:00:00.000Z';
const line = (text: string): RunEvent => ({ type: 'log', stream: 'stdout', text, at });

describe('RunEvents', () => {
  it('delivers a run’s events only to that run’s listeners, in order', () => {
    const events = new RunEvents();
    const seen: string[] = [];
    const other: RunEvent[] = [];
    events.subscribe('aaa', (e) => seen.push(e.type === 'log' ? e.text : e.type));
    events.subscribe('bbb', (e) => other.push(e));
    events.publish('aaa', line('one'));
    events.publish('aaa', { type: 'status', from: 'queued', to: 'running', reason: 'x', at });
    events.publish('aaa', line('two'));
    expect(seen).toEqual(['one', 'status', 'two']);
    expect(other).toEqual([]);
  });

  it('stops delivering after unsubscribe, and a second unsubscribe is harmless', () => {
    const events = new RunEvents();
    const seen: RunEvent[] = [];
    const stop = events.subscribe('aaa', (e) => seen.push(e));
    stop();
    stop();
    events.publish('aaa', line('late'));
    expect(seen).toEqual([]);
    expect(events.listenerCount()).toBe(0);
  });

  it('keeps delivering to the others when one listener throws', () => {
    const errors: unknown[] = [];
    const events = new RunEvents({ onListenerError: (error) => errors.push(error) });
    const seen: RunEvent[] = [];
    events.subscribe('aaa', () => {
      throw new Error('broken viewer');
    });
    events.subscribe('aaa', (e) => seen.push(e));
    events.publish('aaa', line('still here'));
    expect(seen).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('refuses listeners past the per-run and global bounds', () => {
    const events = new RunEvents({ maxListenersPerRun: 2, maxListeners: 3 });
    events.subscribe('aaa', () => undefined);
    events.subscribe('aaa', () => undefined);
    expect(() => events.subscribe('aaa', () => undefined)).toThrow(/Too many/);
    const stop = events.subscribe('bbb', () => undefined);
    try {
      events.subscribe('ccc', () => undefined);
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.code).toBe('CONFLICT');
    }
    stop();
    expect(() => events.subscribe('ccc', () => undefined)).not.toThrow();
  });

  it('keeps no state between instances', () => {
    const a = new RunEvents();
    const b = new RunEvents();
    const seen: RunEvent[] = [];
    a.subscribe('aaa', (e) => seen.push(e));
    b.publish('aaa', line('elsewhere'));
    expect(seen).toEqual([]);
  });
});
