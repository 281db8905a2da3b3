import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { createAdminTestApp, gitlabUrl, webhookSecret } from './admin-test-app.ts';

const flowYaml = 'image: node:22-slim\ncommands:\n  - echo "hello"\n';
type Message = { error: { message: string; details?: { errors?: { line?: number }[] } } };

describeEachDatabase('admin API: catalog flows', (getDatabase) => {
  it('creates, lists, gets by id and name, updates and deletes a flow', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const created = await call('POST', '/api/admin/catalog-flows', {
      name: 'Claude code',
      description: 'Claude Code through Baton',
      visibility: 'public',
      definition: flowYaml,
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: number }>();
    expect(created.json()).toEqual({
      id,
      name: 'Claude code',
      description: 'Claude Code through Baton',
      visibility: 'public',
      definition: flowYaml,
    });
    expect((await call('GET', '/api/admin/catalog-flows/Claude%20code')).json()).toEqual(
      created.json(),
    );
    expect((await call('GET', `/api/admin/catalog-flows/${id}`)).statusCode).toBe(200);
    const list = await call('GET', '/api/admin/catalog-flows');
    expect(list.json<{ name: string }[]>().map((f) => f.name)).toEqual(['Claude code']);

    const patched = await call('PATCH', `/api/admin/catalog-flows/${id}`, {
      visibility: 'private',
    });
    expect(patched.json()).toMatchObject({ visibility: 'private', definition: flowYaml });
    expect((await call('DELETE', `/api/admin/catalog-flows/${id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/admin/catalog-flows/${id}`)).statusCode).toBe(404);
  });

  it('defaults to private with an empty description, and refuses a duplicate name with 409', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const created = await call('POST', '/api/admin/catalog-flows', {
      name: 'codex',
      definition: flowYaml,
    });
    expect(created.json()).toMatchObject({ visibility: 'private', description: '' });
    const duplicate = await call('POST', '/api/admin/catalog-flows', {
      name: 'codex',
      definition: flowYaml,
    });
    expect(duplicate.statusCode).toBe(409);
    await call('POST', '/api/admin/catalog-flows', { name: 'other', definition: flowYaml });
    const rename = await call('PATCH', '/api/admin/catalog-flows/other', { name: 'codex' });
    expect(rename.statusCode).toBe(409);
  });

  it('refuses invalid YAML with 400 giving the line', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const response = await call('POST', '/api/admin/catalog-flows', {
      name: 'broken',
      definition: 'image: node:22-slim\ncommands: "echo hello"\n',
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json<Message>();
    expect(error.message).toContain('catalog flow broken:2:');
    expect(error.details?.errors?.[0]?.line).toBe(2);
  });

  it('refuses to delete a flow a trigger uses with 409', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    await call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret });
    await call('POST', '/api/admin/connections/gl/service-accounts', {
      token: 'glpat-claude-agent-token-000000001',
    });
    await call('POST', '/api/admin/catalog-flows', { name: 'claude', definition: flowYaml });
    const trigger = await call('POST', '/api/admin/triggers', {
      description: 'catalog',
      eventTypes: ['mention'],
      connection: 'gl',
      serviceAccount: 'claude-agent',
      scope: { type: 'project', path: 'demo/app' },
      catalogFlow: 'claude',
    });
    expect(trigger.statusCode).toBe(201);
    const response = await call('DELETE', '/api/admin/catalog-flows/claude');
    expect(response.statusCode).toBe(409);
    expect(response.json<Message>().error.message).toContain('is used by trigger');
  });

  it('enables and disables a flow for a group and a project of a connection', async () => {
    const { call, catalog } = await createAdminTestApp(getDatabase());
    await call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret });
    const { id } = (
      await call('POST', '/api/admin/catalog-flows', { name: 'claude', definition: flowYaml })
    ).json<{ id: number }>();
    const group = { connection: 'gl', scope: { type: 'group', path: 'Demo' } };
    const enabled = await call('POST', '/api/admin/catalog-flows/claude/enablements', group);
    expect(enabled.statusCode).toBe(201);
    expect(enabled.json()).toEqual({
      flow: 'claude',
      connection: 'gl',
      scope: { type: 'group', path: 'demo' },
    });
    expect(
      (await call('POST', '/api/admin/catalog-flows/claude/enablements', group)).statusCode,
    ).toBe(200);
    expect(await catalog.isEnabledFor(id, 'gl', 'demo/app')).toBe(true);
    const unknownConnection = await call('POST', '/api/admin/catalog-flows/claude/enablements', {
      ...group,
      connection: 'nope',
    });
    expect(unknownConnection.statusCode).toBe(400);

    const list = await call('GET', '/api/admin/catalog-flows/claude/enablements');
    expect(list.json()).toHaveLength(1);
    const query = 'connection=gl&scopeType=group&path=demo';
    expect(
      (await call('DELETE', `/api/admin/catalog-flows/claude/enablements?${query}`)).statusCode,
    ).toBe(204);
    expect(
      (await call('DELETE', `/api/admin/catalog-flows/claude/enablements?${query}`)).statusCode,
    ).toBe(404);
    expect(await catalog.isEnabledFor(id, 'gl', 'demo/app')).toBe(false);
  });

  it('refuses an all-digit name and unknown keys', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const response = await call('POST', '/api/admin/catalog-flows', {
      name: '123',
      definition: flowYaml,
      yaml: 'x',
    });
    expect(response.statusCode).toBe(400);
    const { message } = response.json<Message>().error;
    expect(message).toContain('body.name: must not be all digits');
    expect(message).toContain('body: unknown key "yaml"');
  });
});
