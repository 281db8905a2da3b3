import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { startRunTestApp, maskedValue, type RunTestApp } from './run-test-app.ts';

interface SseEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Reads server-sent events from a streaming fetch, one parsed event per next(). */
async function* sse(response: Response): AsyncGenerator<SseEvent> {
  if (response.body === null) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const fields = new Map(
        block
          .split('\n')
          .filter((line) => !line.startsWith(':') && line.includes(': '))
          .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
      );
      const data = fields.get('data');
      if (data === undefined) continue;
      const id = fields.get('id');
      yield {
        event: fields.get('event') ?? 'message',
        data: JSON.parse(data) as Record<string, unknown>,
        ...(id === undefined ? {} : { id }),
      };
    }
  }
}

describeEachDatabase('run event stream', (getDatabase) => {
  let t: RunTestApp;
  let baseUrl = '';
  beforeEach(async () => {
    t = await startRunTestApp(getDatabase(), { heartbeatMs: 60_000 });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await t.close();
  });

  it('replays the log, streams live lines, status and progress, and closes after finished', async () => {
    const run = await t.createRun();
    await t.logs.append(run.id, 'stdout', 'before connect');
    const url = `${baseUrl}/api/runs/${run.id}/events?t=${t.access.tokenFor(run.id)}`;
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = sse(response);
    const first = (await events.next()).value as SseEvent;
    expect(first).toMatchObject({ event: 'log', data: { text: 'before connect' } });
    // The route listens on the bus before it sends anything, so from here nothing is missed.
    const at = new Date().toISOString();
    t.events.publish(run.id, { type: 'status', from: 'queued', to: 'running', reason: 'go', at });
    expect((await events.next()).value).toMatchObject({ event: 'status', data: { to: 'running' } });
    await t.logs.append(run.id, 'stderr', `live ${maskedValue}`);
    expect((await events.next()).value).toMatchObject({
      event: 'log',
      data: { stream: 'stderr', text: 'live [MASKED]' },
    });
    await t.logs.progress(run.id, { id: 'agent', title: 'Run agent', state: 'active' });
    expect((await events.next()).value).toMatchObject({ event: 'progress', data: { id: 'agent' } });
    await t.logs.finish(run.id, { outcome: 'succeeded', exitCode: 0, summary: 'Opened !4' });
    expect((await events.next()).value).toMatchObject({
      event: 'log',
      data: { text: 'Run succeeded (exit code 0)' },
    });
    expect((await events.next()).value).toMatchObject({
      event: 'finished',
      data: { outcome: 'succeeded', summary: 'Opened !4' },
    });
    expect((await events.next()).done).toBe(true);
  });

  it('resumes from Last-Event-ID, and a run that has ended replays and closes', async () => {
    const run = await t.createRun();
    for (const text of ['one', 'two', 'three']) await t.logs.append(run.id, 'stdout', text);
    const { entries } = await t.logs.read(run.id);
    await t.setStatus(run.id, 'failed', 'exit code 1');
    const response = await fetch(
      `${baseUrl}/api/runs/${run.id}/events?t=${t.access.tokenFor(run.id)}`,
      { headers: { 'last-event-id': String(entries[0]?.next) } },
    );
    const seen: SseEvent[] = [];
    for await (const event of sse(response)) seen.push(event);
    expect(seen.map((e) => [e.event, e.data.text ?? e.data.outcome])).toEqual([
      ['log', 'two'],
      ['log', 'three'],
      ['finished', 'failed'],
    ]);
    expect(seen[1]?.id).toBe(String(entries[2]?.next));
    expect(t.events.listenerCount()).toBe(0);
  });

  it('sends heartbeats while the run is quiet', async () => {
    const quiet = await startRunTestApp(getDatabase(), { heartbeatMs: 20 });
    try {
      const url = await quiet.app.listen({ host: '127.0.0.1', port: 0 });
      const run = await quiet.createRun();
      const controller = new AbortController();
      const response = await fetch(
        `${url}/api/runs/${run.id}/events?t=${quiet.access.tokenFor(run.id)}`,
        { signal: controller.signal },
      );
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of response.body ?? []) {
        text += decoder.decode(chunk as Uint8Array, { stream: true });
        if (text.includes(': heartbeat')) break;
      }
      expect(text).toContain(': heartbeat\n\n');
      // Closing the app ends the open stream instead of waiting for the viewer to leave.
      await quiet.app.close();
      controller.abort();
    } finally {
      await quiet.close();
    }
  });
});
