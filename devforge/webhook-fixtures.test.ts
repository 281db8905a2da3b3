import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, startForge, startReceiver, tokens, type StartedForge } from './test/forge-harness.ts';

/**
 * GitLab's documented webhook examples (src/forges/gitlab/__fixtures__) against the forge's
 * bodies: every key of the example, recursively, must exist in the forge's body with the same
 * JSON type. A `null` in the example accepts any type; array elements are compared with the
 * first element of the forge's array.
 */
const fixturesDir = new URL('../src/forges/gitlab/__fixtures__/', import.meta.url);

async function documented(name: string): Promise<unknown> {
  return JSON.parse(await readFile(new URL(name, fixturesDir), 'utf8')) as unknown;
}

const typeOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

function shapeMismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === null) return [];
  if (typeOf(expected) !== typeOf(actual))
    return [`${path}: expected ${typeOf(expected)}, got ${typeOf(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0) return [];
    if (actual.length === 0) return [`${path}: expected a non-empty array`];
    return shapeMismatches(expected[0], actual[0], `${path}[0]`);
  }
  if (typeOf(expected) !== 'object') return [];
  const actualRecord = actual as Record<string, unknown>;
  return Object.entries(expected as Record<string, unknown>).flatMap(([key, value]) =>
    key in actualRecord
      ? shapeMismatches(value, actualRecord[key], `${path}.${key}`)
      : [`${path}.${key}: missing`],
  );
}

let started: StartedForge;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  started = await startForge();
  receiver = await startReceiver();
  const hook = await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/hooks', {
    url: receiver.url,
    note_events: true,
    issues_events: true,
    merge_requests_events: true,
    push_events: false,
  });
  expect(hook.status).toBe(201);
});
afterAll(async () => {
  await receiver.close();
  await started.stop();
});
beforeEach(() => {
  receiver.received.length = 0;
});

async function userId(username: string): Promise<number> {
  const found = await api(started.url, tokens.alice, 'GET', `users?username=${username}`);
  return (found.json as { id: number }[])[0]?.id ?? 0;
}

async function onlyDelivery(event: string): Promise<unknown> {
  await started.forge.deliveries.idle();
  const matching = receiver.received.filter((r) => r.headers['x-gitlab-event'] === event);
  expect(matching).toHaveLength(1);
  return matching[0]?.body;
}

describe('webhook bodies match GitLab documented examples', () => {
  it('detects a missing key and a wrong type (the comparison itself can fail)', () => {
    expect(shapeMismatches({ a: { b: 1 }, c: 'x' }, { a: {}, c: 2 })).toEqual([
      '$.a.b: missing',
      '$.c: expected string, got number',
    ]);
  });

  it('Note Hook on an issue', async () => {
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
      body: '@claude-agent please look',
    });
    expect(
      shapeMismatches(await documented('note-issue.json'), await onlyDelivery('Note Hook')),
    ).toEqual([]);
  });

  it('Note Hook on a merge request', async () => {
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/merge_requests/1', {
      assignee_ids: [await userId('alice')],
    });
    receiver.received.length = 0;
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/merge_requests/1/notes', {
      body: 'This MR needs work.',
    });
    expect(
      shapeMismatches(await documented('note-merge-request.json'), await onlyDelivery('Note Hook')),
    ).toEqual([]);
  });

  it('Issue Hook when assignees change', async () => {
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/issues/1', {
      assignee_ids: [],
    });
    receiver.received.length = 0;
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/issues/1', {
      assignee_ids: [await userId('claude-agent')],
    });
    expect(
      shapeMismatches(
        await documented('issue-assignees-changed.json'),
        await onlyDelivery('Issue Hook'),
      ),
    ).toEqual([]);
  });

  it('Merge Request Hook when reviewers change', async () => {
    const alice = await userId('alice');
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/merge_requests/1', {
      assignee_ids: [alice],
      reviewer_ids: [],
    });
    receiver.received.length = 0;
    await api(started.url, tokens.alice, 'PUT', 'projects/demo%2Fapp/merge_requests/1', {
      reviewer_ids: [await userId('codex-agent')],
    });
    expect(
      shapeMismatches(
        await documented('merge-request-reviewers-changed.json'),
        await onlyDelivery('Merge Request Hook'),
      ),
    ).toEqual([]);
  });
});
