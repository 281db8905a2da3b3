import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../src/app/server.ts';
import type { Config } from '../src/config/config-schema.ts';
import { configFilePath, loadConfig } from '../src/config/load-config.ts';
import { flowTemplate } from '../src/flows/flow-templates.ts';
import { createLogger } from '../src/logging/logger.ts';
import { createDevForge, loadDefaultFixture, type DevForge } from '../devforge/create-dev-forge.ts';
import {
  loadScenario,
  startScriptedProvider,
  type ScriptedProvider,
} from '../test/providers/scripted-provider.ts';

type Env = Record<string, string | undefined>;

const project = 'demo/app';
const agent = 'claude-agent';
const flowPath = '.gitlab/duo/flows/claude.yaml';

export interface Demo {
  batonUrl: string;
  forgeUrl: string;
  /** Null when a real Anthropic key is configured. */
  model: ScriptedProvider | null;
  server: RunningServer;
  forge: DevForge;
  close(): Promise<void>;
}

async function forgeRest(
  forgeUrl: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${forgeUrl}/api/v4${route}`, {
    method,
    headers: {
      'PRIVATE-TOKEN': token,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`devforge ${method} ${route}: ${response.status} ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/**
 * Baton, the development forge and (without a real key) the demo model, wired together: a
 * connection, the `claude-agent` service account, a project webhook, the Claude Code flow
 * committed to `demo/app` and a trigger on mentions and assignments. Everything lives in
 * `<dataDir>/demo` and starts fresh each time, like the forge's in-memory state.
 */
export async function startDemo(options: {
  env: Env;
  /** 0 picks free ports (tests); default 8080 for Baton and 3000 for the forge. */
  ports?: { baton: number; forge: number };
  quiet?: boolean;
}): Promise<Demo> {
  const { env } = options;
  const say = (line: string): void => {
    if (options.quiet !== true) console.log(line);
  };
  const base = loadConfig({ env: { ...env, BATON_LOG_LEVEL: env['BATON_LOG_LEVEL'] ?? 'warn' } });
  const demoDir = path.join(base.dataDir, 'demo');
  await rm(demoDir, { recursive: true, force: true });
  await mkdir(demoDir, { recursive: true });

  const forge = await createDevForge({
    reposDir: path.join(demoDir, 'forge-repos'),
    fixture: await loadDefaultFixture(),
    logger: pino({ level: 'warn' }),
  });
  const forgeUrl = (await forge.listen({ host: '127.0.0.1', port: options.ports?.forge ?? 3000 }))
    .url;

  const realKey = base.gateway.providers.anthropic.apiKey;
  const demoKey = `demo-${randomBytes(12).toString('hex')}`;
  const model =
    realKey === undefined
      ? await startScriptedProvider({
          keys: { anthropic: demoKey, openai: demoKey, google: demoKey },
          scenario: loadScenario('demo'),
        })
      : null;
  const demoProvider = (provider: keyof Config['gateway']['providers']) => {
    const configured = base.gateway.providers[provider];
    if (configured.apiKey !== undefined || model === null) return configured;
    return { baseUrl: model.url, apiKey: demoKey };
  };
  const adminToken = base.admin.token ?? randomBytes(18).toString('base64url');
  const config: Config = {
    ...base,
    admin: { token: adminToken },
    dataDir: path.join(demoDir, 'baton'),
    server: { ...base.server, port: options.ports?.baton ?? base.server.port },
    gateway: {
      ...base.gateway,
      providers: {
        anthropic: demoProvider('anthropic'),
        openai: demoProvider('openai'),
        google: demoProvider('google'),
      },
    },
    agents: {
      ...base.agents,
      // Installed CLIs outlive the demo's fresh start: a second start needs no download.
      toolCacheDir: base.agents.toolCacheDir ?? path.join(base.dataDir, 'tools'),
      noteUpdateSeconds: 3,
    },
  };
  const server = await startServer(config, createLogger({ level: config.log.level }), {
    hiddenPaths: [configFilePath({ env })],
  });
  const batonUrl = server.url;

  const webhookSecret = randomBytes(16).toString('hex');
  const { services } = server;
  await services.connections.upsertConnection({
    id: 'devforge',
    baseUrl: forgeUrl,
    webhookSecret,
  });
  const fixture = await loadDefaultFixture();
  const token = (username: string): string => {
    const found = (fixture.users ?? []).find((u) => u.username === username)?.tokens?.[0]?.token;
    if (found === undefined) throw new Error(`the devforge fixture has no token for ${username}`);
    return found;
  };
  const account = (await forgeRest(forgeUrl, token(agent), 'GET', '/user')) as {
    id: number;
    name: string;
  };
  const accountId = await services.connections.upsertServiceAccount({
    connectionId: 'devforge',
    username: agent,
    forgeUserId: account.id,
    name: account.name,
    email: null,
    token: token(agent),
  });
  await services.registry.reload();
  const encoded = encodeURIComponent(project);
  await forgeRest(forgeUrl, token('root'), 'POST', `/projects/${encoded}/hooks`, {
    url: `${batonUrl}/webhooks/gitlab/devforge`,
    token: webhookSecret,
    note_events: true,
    issues_events: true,
    merge_requests_events: true,
    push_events: false,
  });
  const flow = flowTemplate('claude-code')?.yaml ?? '';
  await forgeRest(forgeUrl, token('root'), 'POST', `/projects/${encoded}/repository/commits`, {
    branch: 'main',
    commit_message: `Add ${flowPath}`,
    actions: [{ action: 'create', file_path: flowPath, content: flow }],
  });
  await services.triggers.create({
    connectionId: 'devforge',
    scope: { type: 'project', path: project },
    description: 'Claude Code on mention, assignment or review request (demo)',
    eventTypes: ['mention', 'assign', 'assign_reviewer'],
    serviceAccountId: accountId,
    active: true,
    flow: { kind: 'config_path', path: flowPath },
  });

  const notes = `${forgeUrl}/api/v4/projects/${encoded}/issues/1/notes`;
  say('');
  say('Baton demo is running.');
  say(`  Baton                 ${batonUrl}`);
  say(`  Development forge     ${forgeUrl}  (GitLab API at /api/v4; project ${project}, issue #1)`);
  say(
    model === null
      ? '  Model                 Anthropic, with the configured ANTHROPIC_API_KEY'
      : `  Model                 DEMO MODEL at ${model.url}: a scripted stand-in, not a real AI. Set ANTHROPIC_API_KEY to use Claude.`,
  );
  say('');
  say(`Mention the agent as alice (a Developer on ${project}):`);
  say(
    `  curl -s -X POST -H 'PRIVATE-TOKEN: ${token('alice')}' -H 'content-type: application/json' \\\n` +
      `    -d '{"body":"@${agent} please add a short CONTRIBUTING.md"}' ${notes}`,
  );
  say('Watch the thread (the run page link is in the agent\'s "✅ Agent has started" note):');
  say(`  curl -s -H 'PRIVATE-TOKEN: ${token('alice')}' '${notes}?sort=asc'`);
  say(
    `The first run installs Claude Code from npm into ${config.agents.toolCacheDir ?? ''} (about 190 MB, once).`,
  );
  say(`Admin API: BATON_ADMIN_TOKEN=${adminToken} BATON_URL=${batonUrl} npx baton admin --help`);
  say('Connect a real GitLab instead: see "Connect a real GitLab" in README.md.');
  say('');

  return {
    batonUrl,
    forgeUrl,
    model,
    server,
    forge,
    async close() {
      await server.close();
      await forge.close();
      await model?.close();
    },
  };
}
