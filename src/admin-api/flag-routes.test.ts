import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { createAdminTestApp, gitlabUrl, webhookSecret } from './admin-test-app.ts';

type Message = { error: { message: string } };

describeEachDatabase('admin API: feature flags', (getDatabase) => {
  it('lists defaults, sets per scope, and unsets back to the next setting', async () => {
    const { call, flags } = await createAdminTestApp(getDatabase());
    await call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret });
    const initial = await call('GET', '/api/admin/flags');
    expect(initial.json()).toEqual({
      flags: [
        { name: 'ai_flow_triggers', default: true },
        { name: 'ai_catalog_third_party_flows', default: true },
      ],
      settings: [],
    });

    const off = await call('PUT', '/api/admin/flags/ai_flow_triggers', {
      scope: { type: 'instance' },
      enabled: false,
    });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual({
      name: 'ai_flow_triggers',
      scope: { type: 'instance' },
      enabled: false,
    });
    const on = await call('PUT', '/api/admin/flags/ai_flow_triggers', {
      scope: { type: 'project', connection: 'gl', path: 'demo/app' },
      enabled: true,
    });
    expect(on.statusCode).toBe(200);
    expect(await flags.isEnabled('ai_flow_triggers', 'gl', 'demo/app')).toEqual({
      enabled: true,
      decidedBy: 'project demo/app',
    });
    expect(
      (await call('GET', '/api/admin/flags')).json<{ settings: unknown[] }>().settings,
    ).toHaveLength(2);

    const unset = await call(
      'DELETE',
      '/api/admin/flags/ai_flow_triggers?scopeType=project&connection=gl&path=demo/app',
    );
    expect(unset.statusCode).toBe(204);
    expect(await flags.isEnabled('ai_flow_triggers', 'gl', 'demo/app')).toEqual({
      enabled: false,
      decidedBy: 'instance',
    });
    expect((await call('DELETE', '/api/admin/flags/ai_flow_triggers')).statusCode).toBe(204);
    expect((await call('DELETE', '/api/admin/flags/ai_flow_triggers')).statusCode).toBe(404);
  });

  it('refuses an unknown flag, an unknown connection and a scope with missing parts', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const unknown = await call('PUT', '/api/admin/flags/no_such_flag', {
      scope: { type: 'instance' },
      enabled: true,
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<Message>().error.message).toContain('path.name');
    const noConnection = await call('PUT', '/api/admin/flags/ai_flow_triggers', {
      scope: { type: 'group', connection: 'nope', path: 'demo' },
      enabled: true,
    });
    expect(noConnection.statusCode).toBe(400);
    expect(noConnection.json<Message>().error.message).toContain('body.scope.connection');
    const instanceWithPath = await call('PUT', '/api/admin/flags/ai_flow_triggers', {
      scope: { type: 'instance', path: 'demo' },
      enabled: true,
    });
    expect(instanceWithPath.json<Message>().error.message).toContain(
      'body.scope: unknown key "path"',
    );
    const partial = await call('DELETE', '/api/admin/flags/ai_flow_triggers?scopeType=group');
    expect(partial.statusCode).toBe(400);
  });
});
