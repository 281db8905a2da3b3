import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { adminToken, maskedValue, startRunTestApp, type RunTestApp } from './run-test-app.ts';

const admin = { authorization: `Bearer ${adminToken}` };

describeEachDatabase('run routes', (getDatabase) => {
  let t: RunTestApp;
  beforeEach(async () => {
    t = await startRunTestApp(getDatabase());
  });
  afterEach(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

  it('shows one run to its view token: timeline, result, environment names but no secret values', async () => {
    const run = await t.createRun();
    await t.setStatus(run.id, 'running', 'runner started');
    await t.logs.progress(run.id, { id: 'clone', title: 'Clone repository', state: 'done' });
    const response = await get(t.access.linkFor(run.id).replace('/runs/', '/api/runs/'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<{ run: Record<string, unknown> }>();
    expect(body.run).toMatchObject({
      id: run.id,
      status: 'running',
      active: true,
      projectPath: 'demo/app',
      requestedBy: { username: 'alice', name: 'Alice Liddell' },
      links: { noteable: 'https://gitlab.example.test/demo/app/-/issues/12#note_555' },
      environment: { values: { AI_FLOW_EVENT: 'mention', AI_FLOW_PROJECT_PATH: 'demo/app' } },
      timeline: [
        { from: null, to: 'queued', reason: 'mention by @alice' },
        { from: 'queued', to: 'running', reason: 'runner started' },
      ],
      progress: [{ id: 'clone', title: 'Clone repository', state: 'done' }],
      result: null,
    });
    expect((body.run.environment as { names: string[] }).names).toContain('DEPLOY_KEY');
    expect(response.body).not.toContain(maskedValue);
    expect(response.body).not.toContain('confidential text');
    expect(response.body).not.toContain('alice@example.test');
  });

  it('refuses a run’s API without a token, with a wrong token, and with another run’s token', async () => {
    const run = await t.createRun();
    const other = await t.createRun();
    const none = await get(`/api/runs/${run.id}`);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await get(`/api/runs/${run.id}?t=AAAAAAAAAAAAAAAAAAAAAA`)).statusCode).toBe(401);
    const foreign = `t=${t.access.tokenFor(other.id)}`;
    expect((await get(`/api/runs/${run.id}?${foreign}`)).statusCode).toBe(401);
    expect((await get(`/api/runs/${run.id}/log?${foreign}`)).statusCode).toBe(401);
    expect((await get(`/api/runs/${run.id}/events?${foreign}`)).statusCode).toBe(401);
    // A refusal does not tell a missing run from an existing one.
    expect((await get('/api/runs/ffffffffffff')).statusCode).toBe(401);
    expect((await get(`/api/runs/${run.id}`, admin)).statusCode).toBe(200);
    expect((await get('/api/runs/ffffffffffff', admin)).statusCode).toBe(404);
  });

  it('lists runs only for the admin, filtered by status and project, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await t.createRun()).id);
    await t.createRun({ projectPath: 'other/repo' });
    await t.setStatus(ids[0] ?? '', 'failed');
    expect((await get('/api/runs')).statusCode).toBe(401);
    const viewer = `t=${t.access.tokenFor(ids[1] ?? '')}`;
    expect((await get(`/api/runs?${viewer}`)).statusCode).toBe(401);
    expect((await get('/api/runs?colour=blue', admin)).statusCode).toBe(400);
    const failed = await get('/api/runs?status=failed', admin);
    expect(failed.json<{ runs: { id: string }[] }>().runs.map((r) => r.id)).toEqual([ids[0]]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = (await get(`/api/runs?project=demo/app&limit=2${query}`, admin)).json<{
        runs: { id: string; projectPath: string }[];
        nextCursor: string | null;
      }>();
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('serves the log as JSON from an offset, redacted', async () => {
    const run = await t.createRun();
    await t.logs.append(run.id, 'stdout', `key=${maskedValue}`);
    await t.logs.append(run.id, 'stderr', 'second');
    const token = `t=${t.access.tokenFor(run.id)}`;
    const all = (await get(`/api/runs/${run.id}/log?${token}`)).json<{
      entries: { text: string; next: number }[];
      nextOffset: number;
    }>();
    expect(all.entries.map((e) => e.text)).toEqual(['key=[MASKED]', 'second']);
    const rest = await get(`/api/runs/${run.id}/log?${token}&offset=${all.entries[0]?.next ?? 0}`);
    expect(rest.json<{ entries: { text: string }[] }>().entries.map((e) => e.text)).toEqual([
      'second',
    ]);
    expect((await get(`/api/runs/${run.id}/log?${token}&offset=-1`)).statusCode).toBe(400);
  });

  it('cancels an active run with the admin token only, and answers 409 once it has ended', async () => {
    const run = await t.createRun();
    const cancel = (headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: `/api/runs/${run.id}/cancel`, headers });
    const viewerCancel = await t.app.inject({
      method: 'POST',
      url: `/api/runs/${run.id}/cancel?t=${t.access.tokenFor(run.id)}`,
    });
    expect(viewerCancel.statusCode).toBe(403);
    expect((await cancel({})).statusCode).toBe(401);
    expect((await cancel({ authorization: 'Bearer not-the-admin-token-000000' })).statusCode).toBe(
      401,
    );
    expect(t.cancelCalls).toEqual([]);
    const stopping = await cancel(admin);
    expect(stopping.statusCode).toBe(202);
    expect(stopping.json()).toEqual({ id: run.id, status: 'running' });
    expect(t.cancelCalls).toEqual([{ id: run.id, by: 'admin token' }]);
    t.cancelAnswer = { cancelled: true, status: 'cancelled' };
    expect((await cancel(admin)).statusCode).toBe(200);
    await t.setStatus(run.id, 'succeeded');
    const ended = await cancel(admin);
    expect(ended.statusCode).toBe(409);
    expect(ended.json()).toMatchObject({
      error: { code: 'CONFLICT', details: { status: 'succeeded' } },
    });
    expect(t.cancelCalls).toHaveLength(2);
  });

  it('renders the run page inert when the requester’s name is a script', async () => {
    const run = await t.createRun({
      requestedBy: {
        id: 9,
        username: 'mallory',
        name: '<script>alert(1)</script>',
        email: 'm@x.test',
      },
      flowSource: '"><img src=x onerror=alert(2)>',
    });
    await t.logs.append(run.id, 'stdout', '<b onmouseover="alert(3)">log</b>');
    const page = await get(t.access.linkFor(run.id));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.body).toContain('&lt;b onmouseover=&quot;alert(3)&quot;&gt;log&lt;/b&gt;');
    expect(page.body).not.toMatch(/<script>alert|<img |<b on/);
    expect(page.body).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(page.body).toContain('Cancel run');
  });

  it('answers a page link without a valid token with the same refusal, and serves the assets', async () => {
    const run = await t.createRun();
    const missing = await get(`/runs/${run.id}`);
    const wrong = await get(`/runs/${run.id}?t=${t.access.tokenFor('ffffffffffff')}`);
    const nonexistent = await get('/runs/ffffffffffff');
    expect([missing.statusCode, wrong.statusCode, nonexistent.statusCode]).toEqual([401, 401, 401]);
    expect(missing.body).toBe(nonexistent.body);
    expect(missing.body).toContain('This link does not open a run');
    const script = await get('/assets/run-page.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('textContent');
    expect(script.body).not.toContain('innerHTML');
    expect((await get('/assets/run-page.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('cancels from the page without JavaScript through the form, with the admin token', async () => {
    const run = await t.createRun();
    const post = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: `/runs/${run.id}/cancel?t=${t.access.tokenFor(run.id)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token }).toString(),
      });
    const refused = await post('wrong-token-0000000000000000');
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toContain('notice=cancel-refused');
    expect(t.cancelCalls).toEqual([]);
    const accepted = await post(adminToken);
    expect(accepted.headers.location).toBe(`${t.access.linkFor(run.id)}&notice=cancel-requested`);
    expect(t.cancelCalls).toEqual([{ id: run.id, by: 'admin token (run page)' }]);
    const page = await get(accepted.headers.location ?? '');
    expect(page.body).toContain('Cancellation requested.');
  });
});
