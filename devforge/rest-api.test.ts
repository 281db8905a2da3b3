import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startForge, tokens, type StartedForge } from './test/forge-harness.ts';

let started: StartedForge;

beforeAll(async () => {
  started = await startForge();
});
afterAll(async () => {
  await started.stop();
});

const raw = (path: string, init: RequestInit = {}) => fetch(`${started.url}/api/v4/${path}`, init);

describe('authentication and errors', () => {
  it('accepts PRIVATE-TOKEN, Bearer and the private_token / access_token query parameters', async () => {
    const viaHeader = await raw('user', { headers: { 'PRIVATE-TOKEN': tokens.alice } });
    const viaBearer = await raw('user', { headers: { Authorization: `Bearer ${tokens.alice}` } });
    const viaQuery = await raw(`user?private_token=${tokens.alice}`);
    const viaAccessToken = await raw(`user?access_token=${tokens.alice}`);
    expect([viaHeader.status, viaBearer.status, viaQuery.status, viaAccessToken.status]).toEqual([
      200, 200, 200, 200,
    ]);
    expect(viaHeader.headers.get('content-type')).toBe('application/json');
  });

  it('answers 401 with GitLab’s body without or with a wrong token', async () => {
    for (const headers of [{}, { 'PRIVATE-TOKEN': 'glpat-wrong' }] as Record<string, string>[]) {
      const response = await raw('user', { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: '401 Unauthorized' });
    }
  });

  it('refuses a write with a read_api token with insufficient_scope', async () => {
    const response = await api(
      started.url,
      tokens.aliceReadOnly,
      'POST',
      'projects/demo%2Fapp/issues/1/notes',
      { body: 'x' },
    );
    expect(response.status).toBe(403);
    expect(response.json).toEqual({
      error: 'insufficient_scope',
      error_description:
        'The request requires higher privileges than provided by the access token.',
      scope: 'api',
    });
    const read = await api(
      started.url,
      tokens.aliceReadOnly,
      'GET',
      'projects/demo%2Fapp/issues/1/notes',
    );
    expect(read.status).toBe(200);
  });

  it('hides a private project from a non-member (404) and refuses a Guest MR creation (403)', async () => {
    expect((await api(started.url, tokens.nora, 'GET', 'projects/demo%2Fapp')).json).toEqual({
      message: '404 Project Not Found',
    });
    const guest = await api(started.url, tokens.gus, 'POST', 'projects/demo%2Fapp/merge_requests', {
      source_branch: 'feature/polite-greeting',
      target_branch: 'main',
      title: 't',
    });
    expect(guest).toMatchObject({ status: 403, json: { message: '403 Forbidden' } });
  });

  it('answers Grape-style 400s for missing parameters', async () => {
    const response = await api(
      started.url,
      tokens.alice,
      'POST',
      'projects/demo%2Fapp/merge_requests',
      { source_branch: 'x', target_branch: 'main' },
    );
    expect(response).toMatchObject({ status: 400, json: { error: 'title is missing' } });
    const both = await api(
      started.url,
      tokens.alice,
      'POST',
      'projects/demo%2Fapp/repository/branches',
      {},
    );
    expect(both.json).toEqual({ error: 'branch is missing, ref is missing' });
  });
});

describe('parameters in every encoding', () => {
  it('reads a note body from a form, a multipart body and the query string', async () => {
    const form = await raw('projects/demo%2Fapp/issues/1/notes', {
      method: 'POST',
      headers: {
        'PRIVATE-TOKEN': tokens.alice,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'body=from+a+form',
    });
    const multipart = new FormData();
    multipart.set('body', 'from multipart');
    const parts = await raw('projects/demo%2Fapp/issues/1/notes', {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': tokens.alice },
      body: multipart,
    });
    const query = await raw('projects/demo%2Fapp/issues/1/notes?body=from%20the%20query', {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': tokens.alice },
    });
    const bodies = await Promise.all(
      [form, parts, query].map(async (r) => ((await r.json()) as { body: string }).body),
    );
    expect(bodies).toEqual(['from a form', 'from multipart', 'from the query']);
  });

  it('reads assignee_ids[] from a form', async () => {
    const mia = started.forge.state.userByUsername('mia');
    const response = await raw('projects/demo%2Fapp/issues/1', {
      method: 'PUT',
      headers: {
        'PRIVATE-TOKEN': tokens.alice,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `assignee_ids[]=${mia?.id ?? 0}`,
    });
    expect(
      ((await response.json()) as { assignees: { username: string }[] }).assignees.map(
        (a) => a.username,
      ),
    ).toEqual(['mia']);
  });
});

describe('pagination', () => {
  it('sends GitLab’s pagination headers with absolute Link URLs from the public base', async () => {
    for (let i = 0; i < 5; i += 1)
      await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
        body: `p${i}`,
      });
    const total = started.forge.state.discussionsOf('Issue', 1).length;
    const response = await raw('projects/demo%2Fapp/issues/1/notes?per_page=2&page=2', {
      headers: { 'PRIVATE-TOKEN': tokens.alice },
    });
    expect((await response.json()) as unknown[]).toHaveLength(2);
    expect(response.headers.get('x-total')).toBe(String(total));
    expect(response.headers.get('x-total-pages')).toBe(String(Math.ceil(total / 2)));
    expect(response.headers.get('x-page')).toBe('2');
    expect(response.headers.get('x-per-page')).toBe('2');
    expect(response.headers.get('x-prev-page')).toBe('1');
    expect(response.headers.get('x-next-page')).toBe('3');
    expect(response.headers.get('link')).toContain(
      `<${started.url}/api/v4/projects/demo%2Fapp/issues/1/notes?per_page=2&page=3>; rel="next"`,
    );
  });

  it('caps per_page at 100 and leaves X-Next-Page empty on the last page', async () => {
    const response = await raw('projects/demo%2Fapp/issues/1/notes?per_page=1000', {
      headers: { 'PRIVATE-TOKEN': tokens.alice },
    });
    expect(response.headers.get('x-per-page')).toBe('100');
    expect(response.headers.get('x-next-page')).toBe('');
  });
});

describe('CI/CD variables', () => {
  it('never returns a hidden value and refuses an unmaskable masked value', async () => {
    const created = await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/variables', {
      key: 'SECRET',
      value: 'hunter2hunter2',
      masked_and_hidden: true,
    });
    expect(created.json).toMatchObject({ key: 'SECRET', value: null, hidden: true, masked: true });
    const shown = await api(started.url, tokens.mia, 'GET', 'projects/demo%2Fapp/variables/SECRET');
    expect((shown.json as { value: unknown }).value).toBeNull();
    const spaced = await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/variables', {
      key: 'BAD',
      value: 'has spaces in it',
      masked: true,
    });
    expect(spaced).toMatchObject({ status: 400, json: { message: { value: ['is invalid'] } } });
    const developer = await api(started.url, tokens.alice, 'GET', 'projects/demo%2Fapp/variables');
    expect(developer.status).toBe(403);
  });
});

describe('admin', () => {
  it('resets state to the fixture, only with the admin token', async () => {
    await api(started.url, tokens.alice, 'POST', 'projects/demo%2Fapp/issues/1/notes', {
      body: 'to be forgotten',
    });
    const refused = await fetch(`${started.url}/-/devforge/reset`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': tokens.alice },
    });
    expect(refused.status).toBe(401);
    const reset = await fetch(`${started.url}/-/devforge/reset`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': tokens.root },
    });
    expect(reset.status).toBe(200);
    const notes = await api(started.url, tokens.alice, 'GET', 'projects/demo%2Fapp/issues/1/notes');
    expect(notes.json).toEqual([]);
  });
});
