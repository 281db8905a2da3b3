import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { createAdminTestApp, gitlabUrl, webhookSecret } from './admin-test-app.ts';

const flowYaml = 'image: node:22-slim\ncommands:\n  - echo "hello"\n';

async function setUp(database: Parameters<typeof createAdminTestApp>[0]) {
  const test = await createAdminTestApp(database);
  await test.call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret });
  const added = await test.call('POST', '/api/admin/connections/gl/service-accounts', {
    token: 'glpat-claude-agent-token-000000001',
  });
  expect(added.statusCode).toBe(201);
  return test;
}

const mentionTrigger = {
  description: 'Claude on mention',
  eventTypes: ['mention', 'assign'],
  connection: 'gl',
  serviceAccount: 'claude-agent',
  scope: { type: 'project', path: 'demo/app' },
  configPath: '.gitlab/duo/flows/claude.yaml',
};

/** The same trigger with no flow source. */
const withoutPath = {
  description: mentionTrigger.description,
  eventTypes: mentionTrigger.eventTypes,
  connection: mentionTrigger.connection,
  serviceAccount: mentionTrigger.serviceAccount,
  scope: mentionTrigger.scope,
};

type Message = { error: { message: string } };

describeEachDatabase('admin API: triggers', (getDatabase) => {
  it('creates, gets, lists, updates and deletes a trigger', async () => {
    const { call, triggers } = await setUp(getDatabase());
    const created = await call('POST', '/api/admin/triggers', mentionTrigger);
    expect(created.statusCode).toBe(201);
    const view = created.json<{ id: number }>();
    expect(view).toMatchObject({
      description: 'Claude on mention',
      eventTypes: ['mention', 'assign'],
      connection: 'gl',
      serviceAccount: 'claude-agent',
      scope: { type: 'project', path: 'demo/app' },
      active: true,
      configPath: '.gitlab/duo/flows/claude.yaml',
      catalogFlow: null,
      warnings: [],
    });
    const stored = await triggers.get(view.id);
    expect(stored?.flow).toEqual({ kind: 'config_path', path: '.gitlab/duo/flows/claude.yaml' });

    const got = await call('GET', `/api/admin/triggers/${view.id}`);
    expect(got.json()).toEqual(created.json());
    const patched = await call('PATCH', `/api/admin/triggers/${view.id}`, {
      active: false,
      eventTypes: ['assign_reviewer'],
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      active: false,
      eventTypes: ['assign_reviewer'],
      configPath: '.gitlab/duo/flows/claude.yaml',
    });
    const list = await call('GET', '/api/admin/triggers');
    expect(list.json<{ id: number }[]>().map((t) => t.id)).toEqual([view.id]);

    expect((await call('DELETE', `/api/admin/triggers/${view.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/admin/triggers/${view.id}`)).statusCode).toBe(404);
    expect(
      (await call('PATCH', `/api/admin/triggers/${view.id}`, { active: true })).statusCode,
    ).toBe(404);
  });

  it('accepts a service account shared across projects, with a warning in the answer, the list and the log', async () => {
    const { call, logLines } = await setUp(getDatabase());
    const first = await call('POST', '/api/admin/triggers', mentionTrigger);
    expect(first.json<{ warnings: string[] }>().warnings).toEqual([]);
    const second = await call('POST', '/api/admin/triggers', {
      ...mentionTrigger,
      scope: { type: 'project', path: 'demo/other' },
    });
    expect(second.statusCode).toBe(201);
    const [warning] = second.json<{ warnings: string[] }>().warnings;
    expect(warning).toContain('claude-agent');
    expect(warning).toContain('project demo/app, project demo/other');
    const list = await call('GET', '/api/admin/triggers');
    for (const trigger of list.json<{ warnings: string[] }[]>()) {
      expect(trigger.warnings).toHaveLength(1);
    }
    const logged = logLines.filter(
      (l) => l.msg === 'service account shared across projects or groups',
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, serviceAccount: 'claude-agent' });
  });

  it('refers to a catalog flow by name, and warns while it is not enabled for the scope', async () => {
    const { call } = await setUp(getDatabase());
    const flow = await call('POST', '/api/admin/catalog-flows', {
      name: 'claude',
      definition: flowYaml,
    });
    const created = await call('POST', '/api/admin/triggers', {
      ...withoutPath,
      catalogFlow: 'claude',
    });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ catalogFlow: unknown; warnings: string[] }>();
    expect(body.catalogFlow).toEqual({ id: flow.json<{ id: number }>().id, name: 'claude' });
    expect(body.warnings.join()).toContain('not enabled for project demo/app');

    await call('POST', '/api/admin/catalog-flows/claude/enablements', {
      connection: 'gl',
      scope: { type: 'group', path: 'demo' },
    });
    const again = await call('POST', '/api/admin/triggers', {
      ...withoutPath,
      scope: { type: 'group', path: 'demo' },
      catalogFlow: flow.json<{ id: number }>().id,
    });
    expect(again.json<{ warnings: string[] }>().warnings.join()).not.toContain('not enabled');
  });

  it('requires exactly one flow source, suggesting a config path', async () => {
    const { call } = await setUp(getDatabase());
    const none = await call('POST', '/api/admin/triggers', withoutPath);
    expect(none.statusCode).toBe(400);
    expect(none.json<Message>().error.message).toContain('.gitlab/duo/flows/claude-agent.yaml');
    const both = await call('POST', '/api/admin/triggers', { ...mentionTrigger, catalogFlow: 1 });
    expect(both.statusCode).toBe(400);
  });

  it.each([
    [{ description: '' }, 'body.description'],
    [{ description: 'x'.repeat(256) }, 'body.description'],
    [{ eventTypes: [] }, 'body.eventTypes: must list at least one event type'],
    [{ eventTypes: ['push'] }, 'body.eventTypes[0]'],
    [{ scope: { type: 'instance', path: 'x' } }, 'body.scope.type'],
    [{ scope: { type: 'group', path: 'demo', extra: 1 } }, 'body.scope: unknown key "extra"'],
    [{ configPath: '../etc/passwd' }, 'body.configPath: must not contain ..'],
    [{ configPath: '/abs.yaml' }, 'body.configPath: must be relative'],
    [{ serviceAccount: 'nobody' }, 'body.serviceAccount: no service account nobody'],
    [{ connection: 'other' }, 'body.connection: No connection other'],
    [{ events: ['mention'] }, 'body: unknown key "events"'],
  ])('refuses %j naming the key', async (change, message) => {
    const { call } = await setUp(getDatabase());
    const response = await call('POST', '/api/admin/triggers', { ...mentionTrigger, ...change });
    expect(response.statusCode).toBe(400);
    expect(response.json<Message>().error.message).toContain(message);
  });

  it('answers 400 for a non-numeric id', async () => {
    const { call } = await setUp(getDatabase());
    const response = await call('GET', '/api/admin/triggers/abc');
    expect(response.statusCode).toBe(400);
    expect(response.json<Message>().error.message).toContain('path.id');
  });
});
