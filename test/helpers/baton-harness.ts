import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../../src/app/build-app.ts';
import { createServices, type Services } from '../../src/app/create-services.ts';
import { configSchema, type ConfigInput } from '../../src/config/config-schema.ts';
import type { Database } from '../../src/db/open-database.ts';
import type { ApiFactory } from '../../src/forges/connection-registry.ts';
import type { DeliveryResult } from '../../src/intake/delivery-worker.ts';
import type { Run } from '../../src/runs/run-store.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Trigger, TriggerEventType } from '../../src/triggers/trigger-store.ts';
import { createDevForge, type DevForge } from '../../devforge/create-dev-forge.ts';
import { silentLogger } from './database.ts';

/** Tokens the development forge's default fixture seeds. */
export const forgeTokens = {
  root: 'glpat-root-admin-token-0001',
  alice: 'glpat-alice-api-token-0001',
  mia: 'glpat-mia-api-token-0001',
  rita: 'glpat-rita-api-token-0001',
  gus: 'glpat-gus-api-token-0001',
  nora: 'glpat-nora-api-token-0001',
  'claude-agent': 'glpat-claude-agent-token-0001',
  'codex-agent': 'glpat-codex-agent-token-0001',
} as const;
export type ForgeUser = keyof typeof forgeTokens;

export const projectPath = 'demo/app';
export const claudeFlowPath = '.gitlab/duo/flows/claude.yaml';
export const claudeFlow = `image: node:22-slim
commands:
  - echo "$AI_FLOW_INPUT"
variables:
  - GITLAB_HOST
`;

export interface ForgeNoteView {
  id: number;
  body: string;
  author: { username: string };
}

/**
 * Baton (real database, real stores, real HTTP) wired to a development forge on loopback, with
 * one connection, a project webhook pointing at Baton, and helpers to act as forge users.
 */
export class BatonHarness {
  readonly forge: DevForge;
  readonly app: App;
  readonly services: Services;
  readonly forgeUrl: string;
  readonly batonUrl: string;
  readonly webhookSecret: string;
  readonly #dirs: string[];
  #seen = '0';

  private constructor(init: {
    forge: DevForge;
    app: App;
    services: Services;
    forgeUrl: string;
    batonUrl: string;
    webhookSecret: string;
    dirs: string[];
  }) {
    this.forge = init.forge;
    this.app = init.app;
    this.services = init.services;
    this.forgeUrl = init.forgeUrl;
    this.batonUrl = init.batonUrl;
    this.webhookSecret = init.webhookSecret;
    this.#dirs = init.dirs;
  }

  static async start(
    database: Database,
    options: {
      createApi?: ApiFactory;
      sandbox?: (dataDir: string) => Sandbox;
      /** Configuration on top of the defaults (gateway providers, tool cache, ...). */
      config?: Omit<ConfigInput, 'dataDir' | 'server'>;
      /** Wraps every agent CLI's argv inside the sandbox (tracing). */
      wrapAgentCommand?: (command: string[]) => string[];
    } = {},
  ): Promise<BatonHarness> {
    const reposDir = await mkdtemp(join(tmpdir(), 'baton-forge-'));
    const dataDir = await mkdtemp(join(tmpdir(), 'baton-data-'));
    const forge = await createDevForge({ reposDir });
    const { url: forgeUrl } = await forge.listen({ host: '127.0.0.1', port: 0 });
    const config = configSchema.parse({
      ...options.config,
      dataDir,
      server: { host: '127.0.0.1', port: 0 },
    });
    const logger = silentLogger();
    const services = await createServices({
      config,
      logger,
      database,
      workerConcurrency: 2,
      ...(options.createApi ? { createApi: options.createApi } : {}),
      ...(options.sandbox ? { sandbox: options.sandbox(dataDir) } : {}),
      ...(options.wrapAgentCommand ? { wrapAgentCommand: options.wrapAgentCommand } : {}),
    });
    const app = await buildApp({ config, logger, services });
    const batonUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    services.publicUrl.value = batonUrl;
    services.listenPort.value = Number(new URL(batonUrl).port);
    services.worker.start();
    await services.scheduler.start();
    const webhookSecret = randomBytes(16).toString('hex');
    const harness = new BatonHarness({
      forge,
      app,
      services,
      forgeUrl,
      batonUrl,
      webhookSecret,
      dirs: [reposDir, dataDir],
    });
    await harness.#connect();
    return harness;
  }

  async #connect(): Promise<void> {
    await this.services.connections.upsertConnection({
      id: 'devforge',
      baseUrl: this.forgeUrl,
      webhookSecret: this.webhookSecret,
    });
    await this.rest('root', 'POST', `/projects/${encodeURIComponent(projectPath)}/hooks`, {
      url: `${this.batonUrl}/webhooks/gitlab/devforge`,
      token: this.webhookSecret,
      note_events: true,
      issues_events: true,
      merge_requests_events: true,
      push_events: false,
    });
    await this.addServiceAccount('claude-agent');
    await this.commitFile(claudeFlowPath, claudeFlow);
  }

  async addServiceAccount(username: ForgeUser): Promise<number> {
    const user = (await this.rest(username, 'GET', '/user')) as { id: number; name: string };
    const id = await this.services.connections.upsertServiceAccount({
      connectionId: 'devforge',
      username,
      forgeUserId: user.id,
      name: user.name,
      email: null,
      token: forgeTokens[username],
    });
    await this.services.registry.reload();
    return id;
  }

  /**
   * Gives the service account a fresh random token (GitLab's service-account token API) and
   * registers it in Baton in place of the fixture's; returns the token.
   */
  async newServiceAccountToken(username: ForgeUser): Promise<string> {
    const user = (await this.rest(username, 'GET', '/user')) as { id: number; name: string };
    const created = (await this.rest(
      'root',
      'POST',
      `/groups/demo/service_accounts/${user.id}/personal_access_tokens`,
      { name: 'baton-e2e', scopes: ['api', 'write_repository'] },
    )) as { token: string };
    await this.services.connections.upsertServiceAccount({
      connectionId: 'devforge',
      username,
      forgeUserId: user.id,
      name: user.name,
      email: null,
      token: created.token,
    });
    await this.services.registry.reload();
    return created.token;
  }

  async addTrigger(
    overrides: Partial<Omit<Trigger, 'id'>> & { account?: ForgeUser } = {},
  ): Promise<Trigger> {
    const account = this.services.registry.serviceAccount(
      'devforge',
      overrides.account ?? 'claude-agent',
    );
    if (!account) throw new Error('service account not registered');
    return this.services.triggers.create({
      connectionId: 'devforge',
      scope: { type: 'project', path: projectPath },
      description: 'Claude on mention',
      eventTypes: ['mention', 'assign', 'assign_reviewer'] satisfies TriggerEventType[],
      serviceAccountId: account.id,
      active: true,
      flow: { kind: 'config_path', path: claudeFlowPath },
      ...overrides,
    });
  }

  async commitFile(path: string, content: string): Promise<void> {
    await this.rest(
      'root',
      'POST',
      `/projects/${encodeURIComponent(projectPath)}/repository/commits`,
      {
        branch: 'main',
        commit_message: `Add ${path}`,
        actions: [{ action: 'create', file_path: path, content }],
      },
    );
  }

  async rest(as: ForgeUser, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.forgeUrl}/api/v4${path}`, {
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

  /** Posts a comment on issue 1 as a new thread; returns its discussion id. */
  async commentOnIssue(
    as: ForgeUser,
    body: string,
    iid = 1,
  ): Promise<{ discussionId: string; noteId: number }> {
    const discussion = (await this.rest(
      as,
      'POST',
      `/projects/${encodeURIComponent(projectPath)}/issues/${iid}/discussions`,
      {
        body,
      },
    )) as { id: string; notes: { id: number }[] };
    return { discussionId: discussion.id, noteId: discussion.notes[0]?.id ?? 0 };
  }

  /**
   * Every delivery Baton stored since the last call (and the start jobs they queued), once the
   * worker has processed them.
   */
  async processed(): Promise<DeliveryResult[]> {
    await this.forge.deliveries.idle();
    const results: DeliveryResult[] = [];
    for (;;) {
      const rows = await this.services.database.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('id', '>', this.#seen)
        .orderBy('id')
        .execute();
      const last = rows.at(-1);
      if (!last) return results;
      this.#seen = last.id;
      results.push(...(await Promise.all(rows.map((row) => this.services.worker.result(row.id)))));
      // A processed delivery may have made the forge send more (Baton's own notes).
      await this.forge.deliveries.idle();
    }
  }

  async discussionNotes(discussionId: string, iid = 1): Promise<ForgeNoteView[]> {
    const discussion = (await this.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/issues/${iid}/discussions/${discussionId}`,
    )) as { notes: ForgeNoteView[] };
    return discussion.notes;
  }

  async notesBy(username: string, noteable = 'issues/1'): Promise<ForgeNoteView[]> {
    const notes = (await this.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/${noteable}/notes?per_page=100&sort=asc`,
    )) as ForgeNoteView[];
    return notes.filter((n) => n.author.username === username);
  }

  async decisions(): Promise<
    { decision: string; reason: string; service_account: string | null }[]
  > {
    return this.services.database.db
      .selectFrom('trigger_decisions')
      .select(['decision', 'reason', 'service_account'])
      .orderBy('id')
      .execute();
  }

  /** Resolves once the run has reached `status` (driven by its events). */
  async waitForStatus(runId: string, status: Run['status']): Promise<void> {
    await this.#waitUntil(
      runId,
      async () => (await this.services.runs.get(runId))?.status === status,
    );
  }

  /** The one run queued so far. */
  async onlyRun(): Promise<Run> {
    const runs = await this.services.runs.list();
    if (runs.length !== 1 || !runs[0]) {
      throw new Error(
        `expected one run, found ${runs.length}: ${JSON.stringify(await this.decisions())}`,
      );
    }
    return runs[0];
  }

  /** Resolves with the run once it has finished, final note included (driven by its events). */
  async waitForRun(runId: string): Promise<Run> {
    await this.#waitUntil(
      runId,
      async () => (await this.services.logs.snapshot(runId)).end !== undefined,
    );
    const run = await this.services.runs.get(runId);
    if (!run) throw new Error(`run ${runId} disappeared`);
    return run;
  }

  /** Checks after every event of the run (subscribed first, so that none is missed). */
  async #waitUntil(runId: string, done: () => Promise<boolean>): Promise<void> {
    let wake: () => void = () => undefined;
    const unsubscribe = this.services.events.subscribe(runId, () => {
      wake();
    });
    try {
      for (;;) {
        const changed = new Promise<void>((resolve) => {
          wake = resolve;
        });
        if (await done()) return;
        await changed;
      }
    } finally {
      unsubscribe();
    }
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.services.worker.stop();
    await this.services.scheduler.stop();
    await this.forge.close();
    await Promise.all(this.#dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
