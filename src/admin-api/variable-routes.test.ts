import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { createAdminTestApp, gitlabUrl, webhookSecret } from './admin-test-app.ts';

describeEachDatabase('admin API: variables', (getDatabase) => {
  async function app() {
    const test = await createAdminTestApp(getDatabase());
    await test.call('PUT', '/api/admin/connections/main', { url: gitlabUrl, webhookSecret });
    return test;
  }

  it('stores a variable and never shows its value again', async () => {
    const { call, logLines, variables } = await app();
    const body = {
      connection: 'main',
      scope: { type: 'project', path: 'demo/app' },
      key: 'ANTHROPIC_API_KEY',
      value: 'sk-ant-secret-value',
    };
    const put = await call('PUT', '/api/admin/variables', body);
    expect(put.statusCode).toBe(200);
    const list = await call('GET', '/api/admin/variables');
    expect(list.json()).toEqual({
      variables: [
        {
          connection: 'main',
          scope: { type: 'project', path: 'demo/app' },
          key: 'ANTHROPIC_API_KEY',
          masked: true,
          description: '',
        },
      ],
    });
    for (const text of [put.body, list.body, JSON.stringify(logLines)])
      expect(text).not.toContain('sk-ant-secret-value');
    expect((await variables.resolve('main', 'demo/app', ['ANTHROPIC_API_KEY'])).values).toEqual({
      ANTHROPIC_API_KEY: 'sk-ant-secret-value',
    });
  });

  it('refuses a masked value that could not be masked', async () => {
    const { call } = await app();
    const response = await call('PUT', '/api/admin/variables', {
      connection: 'main',
      scope: { type: 'group', path: 'demo' },
      key: 'SHORT',
      value: 'abc',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('at least 8 characters');
  });

  it('removes a variable, and says when there is none', async () => {
    const { call } = await app();
    await call('PUT', '/api/admin/variables', {
      connection: 'main',
      scope: { type: 'group', path: 'demo' },
      key: 'HOST',
      value: 'gitlab.example',
      masked: false,
    });
    const query = 'connection=main&scopeType=group&path=demo&key=HOST';
    expect((await call('DELETE', `/api/admin/variables?${query}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/admin/variables?${query}`)).statusCode).toBe(404);
  });
});
