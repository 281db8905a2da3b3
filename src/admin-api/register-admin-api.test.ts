import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import {
  adminToken,
  createAdminTestApp,
  gitlabUrl,
  knownTokens,
  webhookSecret,
} from './admin-test-app.ts';
import { adminTokenMatches } from './require-admin-token.ts';

const claudeToken = 'glpat-claude-agent-token-000000001';
const aliceToken = 'glpat-alice-personal-token-00000001';

describe('adminTokenMatches', () => {
  it('accepts only the exact token, whatever the lengths', () => {
    expect(adminTokenMatches(adminToken, adminToken)).toBe(true);
    expect(adminTokenMatches(`${adminToken}x`, adminToken)).toBe(false);
    expect(adminTokenMatches('', adminToken)).toBe(false);
  });
});

describeEachDatabase('admin API: authentication', (getDatabase) => {
  it('refuses a call without a token with 401 and a Bearer challenge', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const response = await call('GET', '/api/admin/connections', undefined, {});
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="baton-admin"');
    expect(response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('refuses a wrong token with 401, before validating the body', async () => {
    const { call, connections } = await createAdminTestApp(getDatabase());
    const response = await call(
      'PUT',
      '/api/admin/connections/gl',
      { url: gitlabUrl, webhookSecret },
      { authorization: `Bearer ${adminToken.slice(0, -1)}X` },
    );
    expect(response.statusCode).toBe(401);
    expect(await connections.all()).toEqual([]);
  });

  it('refuses every call with 403 saying how to enable it when no admin token is configured', async () => {
    const { call } = await createAdminTestApp(getDatabase(), { token: null });
    for (const url of ['/api/admin/connections', '/api/admin/openapi.json', '/api/admin/flags']) {
      const response = await call('GET', url);
      expect(response.statusCode).toBe(403);
      expect(response.json<{ error: { message: string } }>().error.message).toContain(
        'BATON_ADMIN_TOKEN',
      );
    }
  });
});

describeEachDatabase('admin API: connections', (getDatabase) => {
  it('creates, replaces, gets, lists and deletes a connection, giving the webhook URL', async () => {
    const { call, registry } = await createAdminTestApp(getDatabase(), {
      publicUrl: 'https://baton.example.test/',
    });
    const created = await call('PUT', '/api/admin/connections/gitlab-main', {
      url: `${gitlabUrl}/`,
      webhookSecret,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: 'gitlab-main',
      kind: 'gitlab',
      url: gitlabUrl,
      hasWebhookSecret: true,
      webhookUrl: 'https://baton.example.test/webhooks/gitlab/gitlab-main',
      serviceAccounts: [],
      warnings: [],
    });
    expect(registry.matchWebhook('gitlab-main', webhookSecret)?.baseUrl).toBe(gitlabUrl);

    const replaced = await call('PUT', '/api/admin/connections/gitlab-main', {
      url: 'https://other.example.test',
      webhookSecret: 'another-secret-of-24-chars',
    });
    expect(replaced.statusCode).toBe(200);
    expect(registry.matchWebhook('gitlab-main', webhookSecret)).toBeUndefined();

    const got = await call('GET', '/api/admin/connections/gitlab-main');
    expect(got.json()).toMatchObject({ url: 'https://other.example.test' });
    const list = await call('GET', '/api/admin/connections');
    expect(list.json<{ id: string }[]>().map((c) => c.id)).toEqual(['gitlab-main']);

    expect((await call('DELETE', '/api/admin/connections/gitlab-main')).statusCode).toBe(204);
    expect((await call('GET', '/api/admin/connections/gitlab-main')).statusCode).toBe(404);
    expect((await call('DELETE', '/api/admin/connections/gitlab-main')).statusCode).toBe(404);
    expect(registry.get('gitlab-main')).toBeUndefined();
  });

  it('warns when BATON_PUBLIC_URL is unset and builds the webhook URL from the request', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const response = await call('PUT', '/api/admin/connections/gl', {
      url: gitlabUrl,
      webhookSecret,
    });
    const body = response.json<{ webhookUrl: string; warnings: string[] }>();
    expect(body.webhookUrl).toBe('http://localhost:80/webhooks/gitlab/gl');
    expect(body.warnings.join()).toContain('BATON_PUBLIC_URL');
  });

  it.each([
    ['https://user:pass@gitlab.example.test', 'body.url: must not contain credentials'],
    ['https://gitlab.example.test/?private_token=x', 'body.url: must not contain a query string'],
    ['https://gitlab.example.test/#top', 'body.url: must not contain a fragment'],
    ['ftp://gitlab.example.test', 'body.url: must be an http(s) URL'],
    ['gitlab.example.test', 'body.url: must be an absolute http(s) URL'],
  ])('refuses the URL %s', async (url, message) => {
    const { call } = await createAdminTestApp(getDatabase());
    const response = await call('PUT', '/api/admin/connections/gl', { url, webhookSecret });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toContain(message);
  });

  it('names the offending keys: unknown, too short, bad slug', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const response = await call('PUT', '/api/admin/connections/Not_A_Slug', {
      url: gitlabUrl,
      webhookSecret: 'short',
      secret: 'typo',
    });
    expect(response.statusCode).toBe(400);
    const { message } = response.json<{ error: { message: string } }>().error;
    expect(message).toContain('path.id: must be a slug');
    expect(message).toContain('body.webhookSecret: must be at least 16 characters');
    expect(message).toContain('body: unknown key "secret"');
  });

  it('refuses to delete a connection a trigger uses', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    await call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret });
    await call('POST', '/api/admin/connections/gl/service-accounts', { token: claudeToken });
    const trigger = await call('POST', '/api/admin/triggers', {
      description: 'Claude on mention',
      eventTypes: ['mention'],
      connection: 'gl',
      serviceAccount: 'claude-agent',
      scope: { type: 'project', path: 'demo/app' },
      configPath: '.gitlab/duo/flows/claude.yaml',
    });
    expect(trigger.statusCode).toBe(201);
    const response = await call('DELETE', '/api/admin/connections/gl');
    expect(response.statusCode).toBe(409);
    expect(response.json<{ error: { message: string } }>().error.message).toContain('trigger');
  });
});

describeEachDatabase('admin API: service accounts', (getDatabase) => {
  async function withConnection() {
    const test = await createAdminTestApp(getDatabase());
    await test.call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret });
    return test;
  }

  it('adds a bot account from its token, learning who it is from the forge', async () => {
    const { call, registry } = await withConnection();
    const response = await call('POST', '/api/admin/connections/gl/service-accounts', {
      token: claudeToken,
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      username: 'claude-agent',
      forgeUserId: 41,
      name: 'Claude agent',
      email: 'claude-agent@noreply.example.test',
      bot: true,
      scopes: ['api', 'write_repository', 'ai_features'],
      tokenEnding: '0001',
      warnings: [],
    });
    expect(registry.serviceAccount('gl', 'claude-agent')?.token).toBe(claudeToken);
    const again = await call('POST', '/api/admin/connections/gl/service-accounts', {
      token: claudeToken,
    });
    expect(again.statusCode).toBe(200);
    const list = await call('GET', '/api/admin/connections/gl/service-accounts');
    expect(list.json<{ username: string }[]>().map((a) => a.username)).toEqual(['claude-agent']);
  });

  it('accepts a regular user with warnings (GitLab Free has no service accounts) and logs them', async () => {
    const { call, logLines } = await withConnection();
    const response = await call('POST', '/api/admin/connections/gl/service-accounts', {
      token: aliceToken,
    });
    expect(response.statusCode).toBe(201);
    const { warnings } = response.json<{ warnings: string[] }>();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('regular user');
    expect(warnings[1]).toContain('write_repository');
    const logged = logLines.find((l) => l.msg === 'service account added with warnings');
    expect(logged).toMatchObject({ level: 40, username: 'alice' });
  });

  it('refuses a token the forge rejects, and one without the api scope, with 400', async () => {
    const { call, registry } = await withConnection();
    const rejected = await call('POST', '/api/admin/connections/gl/service-accounts', {
      token: 'glpat-unknown-token',
    });
    expect(rejected.statusCode).toBe(400);
    expect(rejected.json<{ error: { message: string } }>().error.message).toContain(
      `GitLab at ${gitlabUrl} did not accept the token`,
    );
    const readOnly = await call('POST', '/api/admin/connections/gl/service-accounts', {
      token: 'glpat-read-only-token-000000000001',
    });
    expect(readOnly.statusCode).toBe(400);
    expect(readOnly.json<{ error: { message: string } }>().error.message).toContain(
      'lacks the api scope',
    );
    expect(registry.get('gl')?.serviceAccounts).toEqual([]);
  });

  it('answers 404 for an unknown connection and removes an account', async () => {
    const { call, registry } = await withConnection();
    const missing = await call('POST', '/api/admin/connections/nope/service-accounts', {
      token: claudeToken,
    });
    expect(missing.statusCode).toBe(404);
    await call('POST', '/api/admin/connections/gl/service-accounts', { token: claudeToken });
    const removed = await call('DELETE', '/api/admin/connections/gl/service-accounts/claude-agent');
    expect(removed.statusCode).toBe(204);
    expect(registry.serviceAccount('gl', 'claude-agent')).toBeUndefined();
    const again = await call('DELETE', '/api/admin/connections/gl/service-accounts/claude-agent');
    expect(again.statusCode).toBe(404);
  });

  it('never returns a token or the webhook secret, in any response or log line', async () => {
    const { call, logLines } = await withConnection();
    const bodies: string[] = [];
    const record = async (response: Promise<{ body: string }>) =>
      bodies.push((await response).body);
    await record(call('PUT', '/api/admin/connections/gl', { url: gitlabUrl, webhookSecret }));
    await record(
      call('POST', '/api/admin/connections/gl/service-accounts', { token: claudeToken }),
    );
    await record(call('POST', '/api/admin/connections/gl/service-accounts', { token: aliceToken }));
    await record(call('GET', '/api/admin/connections'));
    await record(call('GET', '/api/admin/connections/gl'));
    await record(call('GET', '/api/admin/connections/gl/service-accounts'));
    await record(
      call('POST', '/api/admin/triggers', {
        description: 'mention',
        eventTypes: ['mention'],
        connection: 'gl',
        serviceAccount: 'claude-agent',
        scope: { type: 'group', path: 'demo' },
        configPath: '.gitlab/duo/flows/claude.yaml',
      }),
    );
    await record(call('GET', '/api/admin/triggers'));
    const everything = bodies.join('\n') + JSON.stringify(logLines);
    expect(bodies).toHaveLength(8);
    for (const secret of [webhookSecret, ...Object.keys(knownTokens), adminToken]) {
      expect(everything).not.toContain(secret);
    }
  });
});
