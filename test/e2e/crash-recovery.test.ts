import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createServices } from '../../src/app/create-services.ts';
import { configSchema, type Config } from '../../src/config/config-schema.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openDatabase, type Database } from '../../src/db/open-database.ts';
import { RunStore } from '../../src/runs/run-store.ts';
import { createDevForge, type DevForge } from '../../devforge/create-dev-forge.ts';
import {
  afterResponses,
  startBatonChild,
  stopChild,
  waitForRunLogLine,
  type BatonChild,
} from '../helpers/baton-child.ts';
import {
  forgeTokens,
  projectPath,
  type ForgeNoteView,
  type ForgeUser,
} from '../helpers/baton-harness.ts';
import { HoldingProxy } from '../helpers/holding-proxy.ts';
import { describeEachDatabase, silentLogger, testPostgresUrl } from '../helpers/database.ts';

const project = encodeURIComponent(projectPath);
const flowPath = '.gitlab/duo/flows/slow.yaml';

/**
 * Starts a long sleep and prints `started` only once that sleep is really running (its `comm`
 * has become `sleep`), so the test can look for it on the host before the kill. The line of
 * zeros pushes `started` past the tail that the log's secret redactor holds back until more
 * output comes (a secret could span two chunks).
 */
function sleepingFlow(sleeper: string): string {
  return `image: node:22-slim
commands:
  - |
    ${sleeper} &
    until [ "$(cat /proc/$!/comm 2>/dev/null)" = sleep ]; do :; done
    echo started
    printf '%0256d\\n' 0
    wait
`;
}

/** Host processes whose command line matches `pattern` (pgrep -f). */
function processesMatching(pattern: string): string[] {
  const result = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return result.stdout.split('\n').filter((line) => line !== '');
}

/**
 * Each test starts `baton start` twice as a child process, which compiles Baton's TypeScript
 * as it loads (tsx) and opens the database: on a loaded 2-core machine that alone can take 30 s.
 */
const childTestTimeout = 120_000;

describeEachDatabase('Baton killed with kill -9 in the middle of a run', (getDatabase, engine) => {
  let forge: DevForge;
  let proxy: HoldingProxy;
  let forgeUrl = '';
  let reposDir = '';
  let dataDir = '';
  let webhookSecret = '';
  let children: BatonChild[] = [];

  beforeEach(async () => {
    reposDir = await mkdtemp(join(tmpdir(), 'baton-forge-'));
    dataDir = await mkdtemp(join(tmpdir(), 'baton-data-'));
    // Baton reaches the forge (API and git) through the proxy, so a test can hold it mid-step.
    proxy = await HoldingProxy.start();
    forge = await createDevForge({ reposDir, publicUrl: proxy.url });
    await forge.listen({ host: '127.0.0.1', port: 0 });
    proxy.target = `http://127.0.0.1:${(forge.app.server.address() as AddressInfo).port}`;
    forgeUrl = proxy.url;
    webhookSecret = randomBytes(16).toString('hex');
  });

  afterEach(async () => {
    await Promise.all(children.map((child) => stopChild(child, 'SIGKILL')));
    children = [];
    await proxy.close();
    await forge.close();
    await Promise.all([reposDir, dataDir].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function rest(
    as: ForgeUser,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const response = await fetch(`${forgeUrl}/api/v4${path}`, {
      method,
      headers: {
        'PRIVATE-TOKEN': forgeTokens[as],
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} as ${as}: ${response.status} ${text}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  }

  async function threadNotes(discussionId: string): Promise<ForgeNoteView[]> {
    const discussion = (await rest(
      'root',
      'GET',
      `/projects/${project}/issues/1/discussions/${discussionId}`,
    )) as { notes: ForgeNoteView[] };
    return discussion.notes;
  }

  /**
   * The database as the child processes name it. On Postgres, the test's own schema, put on the
   * child's search_path through the libpq `options` parameter of DATABASE_URL (node-postgres
   * passes it to the server), so that Baton needs no test-only setting. On PGlite, none: the
   * child opens `<dataDir>/pglite`.
   */
  async function childDatabaseUrl(): Promise<string | undefined> {
    if (engine === 'pglite') return undefined;
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
      getDatabase().db,
    );
    const url = new URL(testPostgresUrl);
    url.searchParams.set('options', `-c search_path=${rows[0]?.schema ?? 'missing'}`);
    return url.toString();
  }

  /**
   * Uses Baton's database while no child holds it. PGlite is one process's: it is opened from
   * the data directory and closed again. Postgres is the test's schema, shared with the children.
   */
  async function withDatabase<T>(
    use: (database: Database, config: Config) => Promise<T>,
  ): Promise<T> {
    const url = await childDatabaseUrl();
    const config = configSchema.parse({ dataDir, database: url === undefined ? {} : { url } });
    if (engine === 'postgres') return use(getDatabase(), config);
    const database = await openDatabase({ config, logger: silentLogger() });
    try {
      await migrateToLatest(database, silentLogger());
      return await use(database, config);
    } finally {
      await database.close();
    }
  }

  /** Connection, service account and mention trigger, stored as an administrator would. */
  async function prepareBaton(flow: string): Promise<void> {
    await rest('root', 'POST', `/projects/${project}/repository/commits`, {
      branch: 'main',
      commit_message: `Add ${flowPath}`,
      actions: [{ action: 'create', file_path: flowPath, content: flow }],
    });
    const agent = (await rest('claude-agent', 'GET', '/user')) as { id: number; name: string };
    await withDatabase(async (database, config) => {
      // Creates <dataDir>/secret.key, which the children then use to read the sealed secrets.
      const services = await createServices({ config, logger: silentLogger(), database });
      await services.connections.upsertConnection({
        id: 'devforge',
        baseUrl: forgeUrl,
        webhookSecret,
      });
      const serviceAccountId = await services.connections.upsertServiceAccount({
        connectionId: 'devforge',
        username: 'claude-agent',
        forgeUserId: agent.id,
        name: agent.name,
        email: null,
        token: forgeTokens['claude-agent'],
      });
      await services.triggers.create({
        connectionId: 'devforge',
        scope: { type: 'project', path: projectPath },
        description: 'Claude on mention',
        eventTypes: ['mention'],
        serviceAccountId,
        active: true,
        flow: { kind: 'config_path', path: flowPath },
      });
      // As a stopping Baton does: nothing of these services may touch the database after it.
      await services.gateway.stop();
    });
  }

  async function launchBaton(): Promise<BatonChild> {
    const url = await childDatabaseUrl();
    const child = await startBatonChild({
      BATON_DATA_DIR: dataDir,
      BATON_PORT: '0',
      BATON_HOST: '127.0.0.1',
      BATON_LOG_LEVEL: 'warn',
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      ...(url === undefined ? {} : { DATABASE_URL: url }),
    });
    children.push(child);
    return child;
  }

  async function addWebhook(batonUrl: string): Promise<void> {
    await rest('root', 'POST', `/projects/${project}/hooks`, {
      url: `${batonUrl}/webhooks/gitlab/devforge`,
      token: webhookSecret,
      note_events: true,
      issues_events: true,
      push_events: false,
    });
  }

  /** Alice mentions the agent in a new thread on issue 1; returns the thread's id. */
  async function mentionAgent(body: string): Promise<string> {
    const discussion = (await rest('alice', 'POST', `/projects/${project}/issues/1/discussions`, {
      body,
    })) as { id: string };
    return discussion.id;
  }

  it(
    'fails the run it was running with one final note after the restart, and leaves no flow process',
    async () => {
      const sleeper = `sleep 120.${randomInt(1000, 10_000)}`;
      await prepareBaton(sleepingFlow(sleeper));
      const first = await launchBaton();
      await addWebhook(first.url);

      const flowStarted = waitForRunLogLine(dataDir, 'started');
      const discussion = { id: await mentionAgent('@claude-agent take your time') };
      const runId = await flowStarted;
      expect(processesMatching(sleeper), 'the flow runs before the kill').not.toEqual([]);
      const [, acknowledged] = await threadNotes(discussion.id);
      expect(acknowledged?.body).toContain('✅ Agent has started');

      expect(await stopChild(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

      // Armed before the restart: the restarted Baton recovers before it prints its address.
      const recovered = afterResponses(
        forge.app.server,
        (request) => request.method === 'PUT' && /\/notes\/\d+(\?|$)/.test(request.url ?? ''),
        async () => {
          const notes = await threadNotes(discussion.id);
          return notes[1]?.body.includes('✅') === false ? notes : undefined;
        },
      );
      const second = await launchBaton();
      const notes = await recovered;

      expect(processesMatching(sleeper), 'the flow died with the killed Baton').toEqual([]);
      expect(await stopChild(second, 'SIGTERM')).toEqual({ code: 0, signal: null });

      expect(notes.map((note) => note.author.username)).toEqual(['alice', 'claude-agent']);
      expect(notes[1]?.id).toBe(acknowledged?.id);
      expect(notes[1]?.body).toContain('Baton stopped while the flow was running');
      expect(notes[1]?.body).toContain(runId);
      // Nothing else by the agent on the issue: not a second note outside the thread either.
      const issueNotes = (await rest(
        'root',
        'GET',
        `/projects/${project}/issues/1/notes?per_page=100`,
      )) as ForgeNoteView[];
      expect(issueNotes.filter((note) => note.author.username === 'claude-agent')).toHaveLength(1);

      await withDatabase(async (database) => {
        const runs = new RunStore(database.db);
        const run = await runs.get(runId);
        expect(run?.status).toBe('failed');
        expect(run?.failure).toContain('Baton stopped while the flow was running');
        expect((await runs.transitions(runId)).map((t) => t.to)).toEqual([
          'queued',
          'preparing',
          'running',
          'failed',
        ]);
      });
    },
    childTestTimeout,
  );
  it(
    'queues a run it was still preparing again after the restart, and runs it to the end',
    async () => {
      await prepareBaton('image: node:22-slim\ncommands:\n  - echo done\n');
      const first = await launchBaton();
      await addWebhook(first.url);
      // The run's first step clones the project into Baton's mirror; holding that clone keeps
      // the claimed run in `preparing` for as long as the test needs.
      const cloning = proxy.holdRequests((request) => (request.url ?? '').includes('/info/refs'));
      const discussionId = await mentionAgent('@claude-agent have a look');
      await cloning;

      expect(await stopChild(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      // The killed Baton's git fetch is an orphan waiting on the held request: let it fail now.
      proxy.dropHeld();

      const answered = afterResponses(
        forge.app.server,
        (request) =>
          (request.method === 'POST' || request.method === 'PUT') &&
          /\/notes(\/\d+)?(\?|$)/.test(request.url ?? ''),
        async () => {
          const notes = await threadNotes(discussionId);
          // The answer, or (on a failure) the progress note edited into the failure note.
          const ended = notes.length >= 3 || notes[1]?.body.includes('✅') === false;
          return ended ? notes : undefined;
        },
      );
      const second = await launchBaton();
      const notes = await answered;
      expect(await stopChild(second, 'SIGTERM')).toEqual({ code: 0, signal: null });

      expect(notes.map((note) => note.author.username)).toEqual([
        'alice',
        'claude-agent',
        'claude-agent',
      ]);
      expect(notes[1]?.body).toContain('✅ Agent has started');
      expect(notes[2]?.body).toContain('finished without changing any files');
      const issueNotes = (await rest(
        'root',
        'GET',
        `/projects/${project}/issues/1/notes?per_page=100`,
      )) as ForgeNoteView[];
      expect(issueNotes.filter((note) => note.author.username === 'claude-agent')).toHaveLength(2);

      await withDatabase(async (database) => {
        const runs = new RunStore(database.db);
        const all = await runs.list();
        expect(all.map((run) => run.status)).toEqual(['succeeded']);
        const transitions = await runs.transitions(all[0]?.id ?? '');
        expect(transitions.map((t) => t.to)).toEqual([
          'queued',
          'preparing',
          'queued',
          'preparing',
          'running',
          'publishing',
          'succeeded',
        ]);
        expect(transitions[2]?.reason).toContain('queued again');
      });
    },
    childTestTimeout,
  );
});
