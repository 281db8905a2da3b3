import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Database } from '../db/open-database.ts';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { runAdminCommand, type AdminCliIo } from './admin-cli.ts';
import { adminToken, createAdminTestApp, gitlabUrl } from './admin-test-app.ts';

const claudeToken = 'glpat-claude-agent-token-000000001';
const secret = 'webhook-secret-for-cli-0001';

function capture() {
  const logs: string[] = [];
  const errors: string[] = [];
  return {
    logs,
    errors,
    out: { log: (s: string) => logs.push(s), error: (s: string) => errors.push(s) },
  };
}

/** A real Baton listening on a free port, and a CLI runner pointed at it. */
async function serve(database: Database, environment: Record<string, string> = {}, stdin = '') {
  const test = await createAdminTestApp(database);
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const address = test.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  const url = `http://127.0.0.1:${address.port}`;
  const io: AdminCliIo = {
    readEnv: (name) => environment[name],
    readStdin: () => Promise.resolve(stdin),
    readFile: (path) => readFile(path, 'utf8'),
  };
  /** `token: null` runs without a token. */
  const run = async (args: string[], token: string | null = adminToken) => {
    const captured = capture();
    const code = await runAdminCommand(args, { url, token: token ?? undefined }, captured.out, io);
    return {
      code,
      ...captured,
      text: captured.logs.join('\n'),
      errorText: captured.errors.join('\n'),
    };
  };
  return { ...test, url, run, close: () => test.app.close() };
}

describeEachDatabase('baton admin CLI', (getDatabase) => {
  it('connects GitLab, adds a service account and a mention trigger, and lists them', async () => {
    const server = await serve(getDatabase(), { CLAUDE_TOKEN: claudeToken, HOOK_SECRET: secret });
    try {
      const connection = await server.run([
        'connections',
        'add',
        'gl',
        '--url',
        gitlabUrl,
        '--webhook-secret-env',
        'HOOK_SECRET',
      ]);
      expect(connection.code).toBe(0);
      expect(connection.text).toContain(`"webhookUrl": "${server.url}/webhooks/gitlab/gl"`);
      const account = await server.run(['accounts', 'add', 'gl', '--token-env', 'CLAUDE_TOKEN']);
      expect(account.code).toBe(0);
      expect(account.text).toContain('"username": "claude-agent"');
      const trigger = await server.run([
        'triggers',
        'add',
        '--connection',
        'gl',
        '--account',
        'claude-agent',
        '--scope',
        'project:demo/app',
        '--events',
        'mention,assign',
        '--config-path',
        '.gitlab/duo/flows/claude.yaml',
        '--description',
        'Claude on mention',
      ]);
      expect(trigger.code).toBe(0);
      const list = await server.run(['triggers', 'list']);
      expect(list.code).toBe(0);
      expect(list.logs[0]?.split('\n')).toEqual([
        expect.stringMatching(
          /^ID\s+ACTIVE\s+EVENTS\s+CONNECTION\s+ACCOUNT\s+SCOPE\s+FLOW\s+WARNINGS$/,
        ),
        expect.stringMatching(
          /^1\s+yes\s+mention,assign\s+gl\s+claude-agent\s+project:demo\/app\s+\.gitlab\/duo\/flows\/claude\.yaml$/,
        ),
      ]);
      const json = await server.run(['connections', 'list', '--json']);
      expect(JSON.parse(json.text)).toMatchObject([{ id: 'gl', hasWebhookSecret: true }]);
      const everything = [connection, account, trigger, list, json]
        .map((r) => r.text + r.errorText)
        .join();
      expect(everything).not.toContain(claudeToken);
      expect(everything).not.toContain(secret);
      expect(server.registry.serviceAccount('gl', 'claude-agent')?.token).toBe(claudeToken);
    } finally {
      await server.close();
    }
  });

  it('reads the token from stdin when no variable is named, and prints warnings to stderr', async () => {
    const server = await serve(
      getDatabase(),
      { HOOK_SECRET: secret },
      'glpat-alice-personal-token-00000001\n',
    );
    try {
      await server.run([
        'connections',
        'add',
        'gl',
        '--url',
        gitlabUrl,
        '--webhook-secret',
        secret,
      ]);
      const added = await server.run(['accounts', 'add', 'gl']);
      expect(added.code).toBe(0);
      expect(added.text).toContain('"username": "alice"');
      expect(added.errorText).toContain('warning: alice is a regular user');
    } finally {
      await server.close();
    }
  });

  it('manages flags and catalog flows', async () => {
    const server = await serve(getDatabase(), { HOOK_SECRET: secret });
    const dir = await mkdtemp(join(tmpdir(), 'baton-admin-cli-'));
    try {
      await server.run([
        'connections',
        'add',
        'gl',
        '--url',
        gitlabUrl,
        '--webhook-secret',
        secret,
      ]);
      const flag = await server.run([
        'flags',
        'set',
        'ai_flow_triggers',
        'off',
        '--scope',
        'project:gl:demo/app',
      ]);
      expect(flag.code).toBe(0);
      expect(await server.flags.isEnabled('ai_flow_triggers', 'gl', 'demo/app')).toMatchObject({
        enabled: false,
      });
      const flags = await server.run(['flags', 'list']);
      expect(flags.text).toMatch(/ai_flow_triggers\s+project:gl:demo\/app\s+off/);
      expect(
        (await server.run(['flags', 'unset', 'ai_flow_triggers', '--scope', 'project:gl:demo/app']))
          .code,
      ).toBe(0);

      const file = join(dir, 'claude.yaml');
      await writeFile(file, 'image: node:22-slim\ncommands:\n  - echo hi\n');
      const added = await server.run(['catalog', 'add', 'claude', '--file', file, '--public']);
      expect(added.code).toBe(0);
      expect(added.text).toContain('"visibility": "public"');
      const enabled = await server.run([
        'catalog',
        'enable',
        'claude',
        '--connection',
        'gl',
        '--scope',
        'group:demo',
      ]);
      expect(enabled.code).toBe(0);
      expect((await server.run(['catalog', 'enablements', 'claude'])).text).toMatch(
        /gl\s+group:demo/,
      );
      expect((await server.run(['catalog', 'list'])).text).toMatch(/1\s+claude\s+public/);

      await writeFile(file, 'image: node:22-slim\ncommands: nope\n');
      const invalid = await server.run(['catalog', 'add', 'broken', '--file', file]);
      expect(invalid.code).toBe(1);
      expect(invalid.errorText).toContain('catalog flow broken:2:');
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints API errors clearly with exit code 1', async () => {
    const server = await serve(getDatabase());
    try {
      const missing = await server.run(['connections', 'show', 'nope']);
      expect(missing.code).toBe(1);
      expect(missing.errorText).toBe(
        'baton admin: No connection nope; list them with GET /api/admin/connections [NOT_FOUND, HTTP 404]',
      );
      const wrongToken = await server.run(['connections', 'list'], 'not-the-admin-token-at-all');
      expect(wrongToken.code).toBe(1);
      expect(wrongToken.errorText).toContain('[UNAUTHORIZED, HTTP 401]');
      const noToken = await server.run(['connections', 'list'], null);
      expect(noToken.code).toBe(1);
      expect(noToken.errorText).toContain('BATON_ADMIN_TOKEN');
    } finally {
      await server.close();
    }
  });

  it('refuses wrong usage with exit code 2, including a token given as a flag', async () => {
    const server = await serve(getDatabase());
    try {
      expect((await server.run(['nonsense'])).code).toBe(2);
      const tokenFlag = await server.run(['accounts', 'add', 'gl', '--token', claudeToken]);
      expect(tokenFlag.code).toBe(2);
      expect(tokenFlag.errorText).toContain("Unknown option '--token'");
      expect((await server.run(['flags', 'set', 'ai_flow_triggers', 'maybe'])).code).toBe(2);
      expect((await server.run(['triggers', 'add', '--connection', 'gl'])).errorText).toContain(
        '--account is required',
      );
    } finally {
      await server.close();
    }
  });
});

it('says when Baton cannot be reached', async () => {
  const captured = capture();
  const code = await runAdminCommand(
    ['connections', 'list'],
    { url: 'http://127.0.0.1:1', token: adminToken },
    captured.out,
  );
  expect(code).toBe(1);
  expect(captured.errors.join()).toContain('Could not reach Baton at http://127.0.0.1:1');
});
