import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunEvents, type RunEvent } from './run-events.ts';
import { RunLogStore, type StoredLogEntry } from './run-log.ts';

const runId = '0123456789ab';
let dataDir = '';

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'baton-run-log-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function store(options: { maxBytes?: number; events?: RunEvents } = {}) {
  const events = options.events ?? new RunEvents();
  const logs = new RunLogStore({
    dataDir,
    events,
    redact: (text) => text.replaceAll('s3cr3t-value', '[MASKED]'),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
  return { logs, events };
}

describe('RunLogStore', () => {
  it('never writes a masked value to the file or the bus', async () => {
    const { logs, events } = store();
    const published: RunEvent[] = [];
    events.subscribe(runId, (e) => published.push(e));
    await logs.append(runId, 'stdout', 'token is s3cr3t-value, done');
    const file = await readFile(join(dataDir, 'runs', runId, 'run.log'), 'utf8');
    expect(file).not.toContain('s3cr3t-value');
    expect(JSON.parse(file)).toMatchObject({ stream: 'stdout', text: 'token is [MASKED], done' });
    expect(published).toEqual([expect.objectContaining({ text: 'token is [MASKED], done' })]);
  });

  it('keeps the log owner-only', async () => {
    const { logs } = store();
    await logs.append(runId, 'stderr', 'x');
    const dir = await stat(join(dataDir, 'runs', runId));
    const file = await stat(join(dataDir, 'runs', runId, 'run.log'));
    expect(dir.mode & 0o777).toBe(0o700);
    expect(file.mode & 0o777).toBe(0o600);
  });

  it('reads from an offset, and resynchronises from an offset inside a line', async () => {
    const { logs } = store();
    await Promise.all(['a', 'b', 'c'].map((t) => logs.append(runId, 'stdout', t)));
    const all = await logs.read(runId);
    expect(all.entries.map((e) => e.text)).toEqual(['a', 'b', 'c']);
    const first = all.entries[0] as StoredLogEntry;
    const rest = await logs.read(runId, { fromOffset: first.next });
    expect(rest.entries.map((e) => e.text)).toEqual(['b', 'c']);
    const inside = await logs.read(runId, { fromOffset: first.next + 3 });
    expect(inside.entries.map((e) => e.text)).toEqual(['c']);
    expect(inside.nextOffset).toBe(all.nextOffset);
    expect((await logs.read(runId, { fromOffset: 10_000 })).entries).toEqual([]);
    expect(await logs.read('fedcba987654')).toEqual({ entries: [], nextOffset: 0 });
  });

  it('refuses a run id that could leave the runs directory', async () => {
    const { logs } = store();
    await expect(logs.read('../secret')).rejects.toThrow(/Not a run id/);
  });

  it('stops at the cap with one truncation line, but still records the end', async () => {
    const { logs } = store({ maxBytes: 300 });
    for (let i = 0; i < 10; i += 1) await logs.append(runId, 'stdout', `line ${i} `.repeat(4));
    await logs.finish(runId, { outcome: 'failed', exitCode: 2 });
    const { entries } = await logs.read(runId);
    const texts = entries.map((e) => e.text);
    expect(texts.filter((t) => t === '[log truncated at 300 bytes]')).toHaveLength(1);
    expect(texts.indexOf('[log truncated at 300 bytes]')).toBe(texts.length - 2);
    expect(entries.at(-1)?.end).toEqual({ outcome: 'failed', exitCode: 2 });
    const size = (await stat(join(dataDir, 'runs', runId, 'run.log'))).size;
    expect(size).toBeLessThan(300 + 200);
  });

  it('follows: existing entries, then appended ones in order, ending at finished', async () => {
    const { logs } = store();
    await logs.append(runId, 'stdout', 'before');
    const iterator = logs.follow(runId, 0, new AbortController().signal);
    expect((await iterator.next()).value).toMatchObject({ text: 'before' });
    const second = iterator.next();
    await logs.append(runId, 'stderr', 'during s3cr3t-value');
    expect((await second).value).toMatchObject({ stream: 'stderr', text: 'during [MASKED]' });
    const third = iterator.next();
    await logs.append(runId, 'stdout', 'one');
    await logs.append(runId, 'stdout', 'two');
    expect((await third).value).toMatchObject({ text: 'one' });
    expect((await iterator.next()).value).toMatchObject({ text: 'two' });
    const ending = iterator.next();
    await logs.progress(runId, { id: 'agent', title: 'Run agent', state: 'done' });
    await logs.finish(runId, { outcome: 'succeeded', exitCode: 0, summary: 'ok' });
    expect((await ending).value).toMatchObject({ end: { outcome: 'succeeded', summary: 'ok' } });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(await logs.snapshot(runId)).toEqual({
      progress: [{ id: 'agent', title: 'Run agent', state: 'done' }],
      end: { outcome: 'succeeded', exitCode: 0, summary: 'ok' },
    });
  });

  it('a follow started after the end replays and ends, and abort ends a live one', async () => {
    const { logs, events } = store();
    await logs.append(runId, 'stdout', 'only');
    const controller = new AbortController();
    const live = logs.follow(runId, 0, controller.signal);
    await live.next();
    const pending = live.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(events.listenerCount(runId)).toBe(0);
    await logs.finish(runId, { outcome: 'cancelled' });
    await logs.append(runId, 'stdout', 'after the end is dropped');
    const texts: string[] = [];
    for await (const entry of logs.follow(runId, 0, new AbortController().signal)) {
      texts.push(entry.text);
    }
    expect(texts).toEqual(['only', 'Run cancelled']);
    const file = await readFile(join(dataDir, 'runs', runId, 'run.log'), 'utf8');
    expect(file).not.toContain('after the end');
  });
});

describe('RunLogStore ordering', () => {
  it('writes lines appended before finish even when finish is not awaited after them', async () => {
    const { logs } = store();
    const writes = [logs.append(runId, 'stdout', 'a'), logs.append(runId, 'stdout', 'b')];
    const end = logs.finish(runId, { outcome: 'succeeded' });
    await Promise.all([...writes, end]);
    await logs.finish(runId, { outcome: 'failed' });
    const fresh = store();
    await fresh.logs.finish(runId, { outcome: 'failed' });
    const { entries } = await logs.read(runId);
    expect(entries.map((e) => e.text)).toEqual(['a', 'b', 'Run succeeded']);
  });
});
