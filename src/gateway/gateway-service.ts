import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/config-schema.ts';
import type { DatabaseSchema } from '../db/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { VariableStore } from '../secrets/variable-store.ts';
import { anthropicProvider } from './anthropic/anthropic-provider.ts';
import { CallRecorder, type CallRecorderOptions } from './call-recorder.ts';
import { createGatewayHandler, type GatewayRequestHandler } from './gateway-handler.ts';
import { providerNames, type GatewayProvider, type ProviderName } from './gateway-provider.ts';
import { googleProvider } from './google/google-provider.ts';
import {
  GrantRegistry,
  hashToken,
  newGatewayToken,
  projectKeyOf,
  type ActiveGrant,
} from './grant-registry.ts';
import type { ModelGateway, RunGrant, RunGrantInput, RunUsage } from './model-gateway.ts';
import { openaiProvider } from './openai/openai-provider.ts';
import { PriceList } from './price-table.ts';
import { SpendLedger, utcDay } from './spend-ledger.ts';
import { Upstream } from './upstream.ts';

/** What calls counted against budgets (rows from before `charged_usd` count their cost). */
const chargedSum = sql<number | string>`coalesce(sum(coalesce(charged_usd, cost_usd)), 0)::float8`;

export const gatewayProviders: Readonly<Record<ProviderName, GatewayProvider>> = {
  anthropic: anthropicProvider,
  openai: openaiProvider,
  google: googleProvider,
};

/** The header a grant asks the agent to send with every call, naming its run. */
export const runIdHeader = 'X-Baton-Run-Id';

export interface GatewayServiceOptions {
  db: Kysely<DatabaseSchema>;
  config: Config['gateway'];
  variables: Pick<VariableStore, 'resolve'>;
  logger: Logger;
  recorder?: CallRecorderOptions;
  /** How often expired grants are dropped from memory. */
  sweepIntervalMs?: number;
}

/**
 * The model gateway: per-run grants, the HTTP handler for `/gateway/*`, metering and budgets.
 * Grants live in memory for the hot path and in `gateway_grants` as the durable record; call
 * records are written in batches by the recorder.
 */
export class GatewayService implements ModelGateway {
  /** The plain node handler for every request under `/gateway/`. */
  readonly handle: GatewayRequestHandler;
  readonly #db: Kysely<DatabaseSchema>;
  readonly #variables: Pick<VariableStore, 'resolve'>;
  readonly #logger: Logger;
  readonly #grants = new GrantRegistry();
  readonly #ledger: SpendLedger;
  readonly #recorder: CallRecorder;
  readonly #upstreams: Record<ProviderName, Upstream>;
  readonly #sweepIntervalMs: number;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(options: GatewayServiceOptions) {
    const { config, logger } = options;
    this.#db = options.db;
    this.#variables = options.variables;
    this.#logger = logger;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#ledger = new SpendLedger({
      runUsd: config.runBudgetUsd,
      projectDailyUsd: config.projectDailyBudgetUsd,
    });
    this.#recorder = new CallRecorder(options.db, logger, options.recorder);
    const upstream = (name: ProviderName) =>
      new Upstream({
        baseUrl: config.providers[name].baseUrl,
        connectTimeoutMs: config.connectTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
      });
    this.#upstreams = {
      anthropic: upstream('anthropic'),
      openai: upstream('openai'),
      google: upstream('google'),
    };
    const instanceKeys: Partial<Record<ProviderName, string>> = {};
    for (const name of providerNames) {
      const key = config.providers[name].apiKey;
      if (key !== undefined) instanceKeys[name] = key;
    }
    this.handle = createGatewayHandler({
      providers: new Map(Object.entries(gatewayProviders)),
      upstreams: this.#upstreams,
      instanceKeys,
      grants: this.#grants,
      ledger: this.#ledger,
      prices: new PriceList(config.prices),
      recorder: this.#recorder,
      recordBodies: config.recordBodies,
      logger,
    });
  }

  /** Loads the grants still valid (a restart keeps running runs' tokens) and starts sweeping. */
  async start(): Promise<void> {
    const now = new Date();
    const rows = await this.#db
      .selectFrom('gateway_grants')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    const spent = await this.#runSpend(rows.map((r) => r.run_id));
    for (const row of rows) {
      const grant = await this.#activeGrant({
        runId: row.run_id,
        connectionId: row.connection_id,
        projectPath: row.project_path,
        expiresAt: row.expires_at,
        tokenHash: row.token_hash,
      });
      grant.spentUsd = spent.get(row.run_id) ?? 0;
      this.#grants.add(grant);
    }
    if (rows.length > 0) this.#logger.info({ grants: rows.length }, 'gateway grants loaded');
    if (this.#sweeper === null) {
      this.#sweeper = setInterval(() => {
        const at = Date.now();
        this.#grants.sweep(at);
        this.#ledger.sweep(at);
      }, this.#sweepIntervalMs);
      this.#sweeper.unref();
    }
  }

  /** Stops sweeping, writes pending call records and closes pooled provider connections. */
  async stop(): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    await this.#recorder.flush();
    for (const upstream of Object.values(this.#upstreams)) upstream.close();
  }

  /** Writes the call records queued so far. */
  flush(): Promise<void> {
    return this.#recorder.flush();
  }

  async grant(input: RunGrantInput): Promise<RunGrant> {
    const token = newGatewayToken();
    const tokenHash = hashToken(token);
    const grant = await this.#activeGrant({ ...input, tokenHash });
    await this.#db
      .insertInto('gateway_grants')
      .values({
        run_id: input.runId,
        token_hash: tokenHash,
        connection_id: input.connectionId,
        project_path: input.projectPath,
        expires_at: input.expiresAt,
        revoked_at: null,
      })
      .onConflict((oc) =>
        oc.column('run_id').doUpdateSet({
          token_hash: tokenHash,
          connection_id: input.connectionId,
          project_path: input.projectPath,
          expires_at: input.expiresAt,
          revoked_at: null,
        }),
      )
      .execute();
    // A run granted again (requeued after a restart) keeps what it spent.
    grant.spentUsd = (await this.#runSpend([input.runId])).get(input.runId) ?? 0;
    await this.#seedProjectDay(grant);
    this.#grants.add(grant);
    return { token, headers: { [runIdHeader]: input.runId } };
  }

  async revoke(runId: string): Promise<void> {
    this.#grants.remove(runId, 'revoked');
    await this.#db
      .updateTable('gateway_grants')
      .set({ revoked_at: new Date() })
      .where('run_id', '=', runId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async usage(runId: string): Promise<RunUsage> {
    await this.#recorder.flush();
    const row = await this.#db
      .selectFrom('gateway_calls')
      .where('run_id', '=', runId)
      .select([
        sql<number | string>`count(*)::int`.as('calls'),
        sql<number | string>`coalesce(sum(input_tokens), 0)::float8`.as('input'),
        sql<number | string>`coalesce(sum(output_tokens), 0)::float8`.as('output'),
        sql<number | string>`coalesce(sum(cache_read_tokens), 0)::float8`.as('cache_read'),
        sql<number | string>`coalesce(sum(cache_write_tokens), 0)::float8`.as('cache_write'),
        sql<number | string>`coalesce(sum(cost_usd), 0)::float8`.as('cost'),
        sql<number | string>`count(*) filter (where cost_usd is null)::int`.as('unpriced'),
        sql<
          string | null
        >`(array_agg(error order by started_at) filter (where error_code = 'budget_exceeded'))[1]`.as(
          'budget_exceeded',
        ),
      ])
      .executeTakeFirstOrThrow();
    return {
      calls: Number(row.calls),
      inputTokens: Number(row.input),
      outputTokens: Number(row.output),
      cacheReadTokens: Number(row.cache_read),
      cacheWriteTokens: Number(row.cache_write),
      costUsd: Number(row.unpriced) > 0 ? null : Number(row.cost),
      budgetExceeded: row.budget_exceeded ?? this.#grants.byRun(runId)?.budgetExceeded ?? null,
    };
  }

  async #activeGrant(input: {
    runId: string;
    connectionId: string;
    projectPath: string;
    expiresAt: Date;
    tokenHash: string;
  }): Promise<ActiveGrant> {
    const names = providerNames.map((name) => gatewayProviders[name].keyVariable);
    const resolved = await this.#variables.resolve(input.connectionId, input.projectPath, names);
    const keys: Partial<Record<ProviderName, string>> = {};
    for (const name of providerNames) {
      const value = resolved.values[gatewayProviders[name].keyVariable];
      if (value !== undefined && value !== '') keys[name] = value;
    }
    return {
      runId: input.runId,
      connectionId: input.connectionId,
      projectPath: input.projectPath,
      projectKey: projectKeyOf(input.connectionId, input.projectPath),
      tokenHash: input.tokenHash,
      expiresAt: input.expiresAt.getTime(),
      keys,
      spentUsd: 0,
      budgetExceeded: null,
    };
  }

  async #runSpend(runIds: string[]): Promise<Map<string, number>> {
    const spent = new Map<string, number>();
    if (runIds.length === 0) return spent;
    const rows = await this.#db
      .selectFrom('gateway_calls')
      .where('run_id', 'in', runIds)
      .groupBy('run_id')
      .select(['run_id', chargedSum.as('cost')])
      .execute();
    for (const row of rows) if (row.run_id !== null) spent.set(row.run_id, Number(row.cost));
    return spent;
  }

  /** Today's spend of the grant's project, from the records, the first time it is needed. */
  async #seedProjectDay(grant: ActiveGrant): Promise<void> {
    const now = Date.now();
    if (this.#ledger.knowsProjectDay(grant.projectKey, now)) return;
    const day = utcDay(now);
    await this.#recorder.flush();
    const row = await this.#db
      .selectFrom('gateway_calls')
      .where('connection_id', '=', grant.connectionId)
      .where('project_path', '=', grant.projectPath)
      .where('started_at', '>=', new Date(day * 86_400_000))
      .select(chargedSum.as('cost'))
      .executeTakeFirstOrThrow();
    this.#ledger.seedProjectDay(grant.projectKey, day, Number(row.cost));
  }

  /** Active grants in memory (for tests and the admin view). */
  get activeGrants(): number {
    return this.#grants.size;
  }
}
