import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HookDelivery } from './state/types.ts';
import { api, startForge, startReceiver, tokens, type StartedForge } from './test/forge-harness.ts';

let started: StartedForge;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  started = await startForge();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await started.stop();
});
beforeEach(async () => {
  const reset = await fetch(`${started.url}/-/devforge/reset`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': tokens.root },
  });
  expect(reset.status).toBe(200);
  receiver.received.length = 0;
});

async function addProjectHook(
  flags: Record<string, boolean>,
  token = 'hook-secret',
): Promise<number> {
  const hook = await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/hooks', {
    url: receiver.url,
    token,
    push_events: false,
    ...flags,
  });
  expect(hook.status).toBe(201);
  return (hook.json as { id: number }).id;
}

const header = (index: number, name: string) => receiver.received[index]?.headers[name];

describe('webhook delivery', () => {
  it('delivers a Note Hook with GitLab headers after the API call, for bot-authored notes too', async () => {
    await addProjectHook({ note_events: true });
    const created = await api(
      started.url,
      tokens.claude,
      'POST',
      'projects/demo%2Fapp/issues/1/notes',
      { body: 'bot says hi' },
    );
    expect(created.status).toBe(201);
    await started.forge.deliveries.idle();
    expect(receiver.received).toHaveLength(1);
    expect(header(0, 'content-type')).toBe('application/json');
    expect(header(0, 'user-agent')).toMatch(/^GitLab\/\d+\.\d+/);
    expect(header(0, 'x-gitlab-event')).toBe('Note Hook');
    expect(header(0, 'x-gitlab-token')).toBe('hook-secret');
    expect(header(0, 'x-gitlab-instance')).toBe(started.url);
    for (const name of ['x-gitlab-event-uuid', 'x-gitlab-webhook-uuid', 'idempotency-key']) {
      expect(header(0, name)).toMatch(/^[0-9a-f-]{36}$/);
    }
    const body = receiver.received[0]?.body as {
      user: { username: string };
      object_attributes: Record<string, unknown>;
    };
    expect(body.user.username).toBe('claude-agent');
    expect(body.object_attributes).toMatchObject({
      note: 'bot says hi',
      type: null,
      action: 'create',
      noteable_type: 'Issue',
    });
    expect(body.object_attributes.discussion_id).toMatch(/^[0-9a-f]{40}$/);
    expect(body.object_attributes.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(body.object_attributes.url).toBe(
      `${started.url}/demo/app/-/issues/1#note_${(created.json as { id: number }).id}`,
    );
  });

  it('sends an update action when a note is edited and DiscussionNote for thread replies', async () => {
    await addProjectHook({ note_events: true });
    const thread = await api(
      started.url,
      tokens.alice,
      'POST',
      'projects/demo%2Fapp/issues/1/discussions',
      { body: 'start' },
    );
    const discussionId = (thread.json as { id: string }).id;
    const reply = await api(
      started.url,
      tokens.alice,
      'POST',
      `projects/demo%2Fapp/issues/1/discussions/${discussionId}/notes`,
      { body: 'reply' },
    );
    await api(
      started.url,
      tokens.alice,
      'PUT',
      `projects/demo%2Fapp/issues/1/notes/${(reply.json as { id: number }).id}`,
      { body: 'reply, edited' },
    );
    await started.forge.deliveries.idle();
    const attributes = receiver.received.map(
      (r) => r.body.object_attributes as Record<string, unknown>,
    );
    expect(attributes.map((a) => [a.type, a.action, a.discussion_id])).toEqual([
      ['DiscussionNote', 'create', discussionId],
      ['DiscussionNote', 'create', discussionId],
      ['DiscussionNote', 'update', discussionId],
    ]);
  });

  it('shares X-Gitlab-Event-UUID across hooks fired by one request, with a fresh webhook UUID and key per hook', async () => {
    await addProjectHook({ note_events: true });
    await addProjectHook({ note_events: true });
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
      body: 'twice',
    });
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
      body: 'again',
    });
    await started.forge.deliveries.idle();
    expect(receiver.received).toHaveLength(4);
    expect(header(0, 'x-gitlab-event-uuid')).toBe(header(1, 'x-gitlab-event-uuid'));
    expect(header(0, 'x-gitlab-event-uuid')).not.toBe(header(2, 'x-gitlab-event-uuid'));
    expect(header(0, 'x-gitlab-webhook-uuid')).not.toBe(header(1, 'x-gitlab-webhook-uuid'));
    expect(header(0, 'idempotency-key')).not.toBe(header(1, 'idempotency-key'));
  });

  it('logs deliveries and resends one with the same Idempotency-Key', async () => {
    const hookId = await addProjectHook({ note_events: true });
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
      body: 'log me',
    });
    await started.forge.deliveries.idle();
    const log = await api(
      started.url,
      tokens.mia,
      'GET',
      `projects/demo%2Fapp/hooks/${hookId}/events`,
    );
    const [entry] = log.json as {
      id: number;
      response_status: string;
      request_headers: Record<string, string>;
    }[];
    expect(entry?.response_status).toBe('200');
    expect(entry?.request_headers['X-Gitlab-Token']).toBe('[REDACTED]');
    const resent = await api(
      started.url,
      tokens.mia,
      'POST',
      `projects/demo%2Fapp/hooks/${hookId}/events/${entry?.id ?? 0}/resend`,
    );
    expect(resent.status).toBe(201);
    expect(receiver.received).toHaveLength(2);
    expect(header(1, 'idempotency-key')).toBe(header(0, 'idempotency-key'));
    expect(header(1, 'x-gitlab-webhook-uuid')).not.toBe(header(0, 'x-gitlab-webhook-uuid'));
  });

  it('records a failing receiver in the log instead of retrying', async () => {
    const failing = await startReceiver(500);
    try {
      const hook = await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/hooks', {
        url: failing.url,
        note_events: true,
      });
      const delivered: HookDelivery[] = [];
      started.forge.deliveries.on('delivered', (d) => delivered.push(d));
      await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
        body: 'boom',
      });
      await started.forge.deliveries.idle();
      expect(failing.received).toHaveLength(1);
      expect(delivered.map((d) => [d.hookId, d.responseStatus])).toEqual([
        [(hook.json as { id: number }).id, '500'],
      ]);
    } finally {
      await failing.close();
    }
  });

  it('fires an Issue Hook with changes.assignees when the bot is assigned', async () => {
    await addProjectHook({ issues_events: true });
    const bot = await api(started.url, tokens.alice, 'GET', 'users?username=claude-agent');
    const botId = (bot.json as { id: number }[])[0]?.id ?? 0;
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/issues/1', {
      assignee_ids: [botId],
    });
    await started.forge.deliveries.idle();
    expect(header(0, 'x-gitlab-event')).toBe('Issue Hook');
    const body = receiver.received[0]?.body as {
      object_attributes: { action: string; assignee_ids: number[] };
      changes: { assignees: { previous: unknown[]; current: { username: string }[] } };
    };
    expect(body.object_attributes).toMatchObject({ action: 'update', assignee_ids: [botId] });
    expect(body.changes.assignees.previous).toEqual([]);
    expect(body.changes.assignees.current.map((u) => u.username)).toEqual(['claude-agent']);
  });

  it('fires a Merge Request Hook with changes.reviewers when a reviewer is requested', async () => {
    await addProjectHook({ merge_requests_events: true });
    const bot = await api(started.url, tokens.alice, 'GET', 'users?username=codex-agent');
    const botId = (bot.json as { id: number }[])[0]?.id ?? 0;
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/merge_requests/1', {
      reviewer_ids: [botId],
    });
    await started.forge.deliveries.idle();
    expect(header(0, 'x-gitlab-event')).toBe('Merge Request Hook');
    const body = receiver.received[0]?.body as {
      object_attributes: { reviewer_ids: number[] };
      changes: { reviewers: { current: { username: string }[] } };
    };
    expect(body.object_attributes.reviewer_ids).toEqual([botId]);
    expect(body.changes.reviewers.current.map((u) => u.username)).toEqual(['codex-agent']);
  });

  it('sends epic notes to group hooks only', async () => {
    await addProjectHook({ note_events: true });
    const groupHook = await api(started.url, tokens.root, 'POST', 'groups/demo/hooks', {
      url: receiver.url,
      note_events: true,
      push_events: false,
    });
    expect(groupHook.status).toBe(201);
    await api(started.url, tokens.mia, 'POST', 'groups/demo/epics/1/notes', {
      body: 'epic @claude-agent',
    });
    await started.forge.deliveries.idle();
    expect(receiver.received).toHaveLength(1);
    const body = receiver.received[0]?.body as {
      object_attributes: { noteable_type: string };
      epic: { id: number };
    };
    expect(body.object_attributes.noteable_type).toBe('Epic');
    expect(body.epic.id).toBe(1);
  });

  it('fires a Push Hook for a REST commit when push events are on', async () => {
    await addProjectHook({ push_events: true });
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/repository/commits', {
      branch: 'main',
      commit_message: 'Add notes',
      actions: [{ action: 'create', file_path: 'NOTES.md', content: 'notes' }],
    });
    await started.forge.deliveries.idle();
    expect(header(0, 'x-gitlab-event')).toBe('Push Hook');
    expect(receiver.received[0]?.body).toMatchObject({
      object_kind: 'push',
      ref: 'refs/heads/main',
      user_username: 'alice',
    });
  });

  it('measures note creation and webhook delivery latency', async () => {
    await addProjectHook({ note_events: true });
    const rounds = 50;
    const apiTimes: number[] = [];
    const deliveryTimes: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const start = performance.now();
      await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
        body: `n${i}`,
      });
      apiTimes.push(performance.now() - start);
      await started.forge.deliveries.idle();
      deliveryTimes.push(performance.now() - start);
    }
    expect(receiver.received).toHaveLength(rounds);
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    process.stdout.write(
      `devforge latency over ${rounds} notes: note create median ${median(apiTimes).toFixed(2)} ms, ` +
        `create + webhook delivered median ${median(deliveryTimes).toFixed(2)} ms\n`,
    );
    expect(median(apiTimes)).toBeLessThan(200);
  });
});
