import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BatonHarness } from '../../test/helpers/baton-harness.ts';
import { describeEachDatabase } from '../../test/helpers/database.ts';

const noteHook = readFileSync(
  new URL('../forges/gitlab/__fixtures__/note-issue.json', import.meta.url),
  'utf8',
);

describeEachDatabase('POST /webhooks/gitlab', (getDatabase) => {
  let harness: BatonHarness;

  beforeEach(async () => {
    harness = await BatonHarness.start(getDatabase());
  });
  afterEach(async () => {
    await harness.close();
  });

  const post = (
    headers: Record<string, string>,
    payload: string,
    url = '/webhooks/gitlab/devforge',
  ) =>
    harness.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Note Hook', ...headers },
      payload,
    });
  const stored = async () =>
    (await harness.services.database.db.selectFrom('webhook_deliveries').select('id').execute())
      .length;
  const mention = () => {
    const body = JSON.parse(noteHook) as { object_attributes: { note: string } };
    body.object_attributes.note = '@claude-agent please';
    return JSON.stringify(body);
  };

  it.each([
    ['a wrong secret', { 'x-gitlab-token': 'not-the-secret' }],
    ['no secret', {}],
  ])('refuses %s with 401 and stores nothing', async (_name, headers) => {
    const response = await post(headers, mention());
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(await stored()).toBe(0);
  });

  it('checks the secret before reading the body', async () => {
    const response = await post({ 'x-gitlab-token': 'wrong' }, '{ not json');
    expect(response.statusCode).toBe(401);
  });

  it('finds the connection by its secret when the URL names none', async () => {
    const response = await post(
      { 'x-gitlab-token': harness.webhookSecret, 'idempotency-key': 'k1' },
      mention(),
      '/webhooks/gitlab',
    );
    expect(response.json()).toMatchObject({ status: 'accepted' });
  });

  it('answers malformed JSON with 400', async () => {
    const response = await post({ 'x-gitlab-token': harness.webhookSecret }, '{"object_kind": ');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', message: 'The webhook body is not valid JSON' },
    });
  });

  it('answers a body that is not what GitLab sends with 400 naming the field', async () => {
    const response = await post(
      { 'x-gitlab-token': harness.webhookSecret },
      JSON.stringify({ object_kind: 'note', user: {} }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toContain('user.id');
    expect(await stored()).toBe(0);
  });

  it('answers an oversized body with 413', async () => {
    const response = await post(
      { 'x-gitlab-token': harness.webhookSecret },
      JSON.stringify({ pad: 'x'.repeat(27 * 1024 * 1024) }),
    );
    expect(response.statusCode).toBe(413);
  });

  it('answers events Baton ignores with 200 and stores nothing', async () => {
    const response = await post(
      { 'x-gitlab-token': harness.webhookSecret, 'x-gitlab-event': 'Push Hook' },
      '{"object_kind":"push"}',
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ignored', reason: 'event Push Hook' });
    expect(await stored()).toBe(0);
  });

  it('stores a redelivery once', async () => {
    const headers = { 'x-gitlab-token': harness.webhookSecret, 'idempotency-key': 'same-key' };
    const first = await post(headers, mention());
    const second = await post(headers, mention());
    expect(first.json()).toMatchObject({ status: 'accepted' });
    expect(second.json()).toMatchObject({
      status: 'duplicate',
      deliveryId: first.json<{ deliveryId: string }>().deliveryId,
    });
  });
});
