import type { CatalogStore } from '../flows/catalog-store.ts';
import type { ForgeApi } from '../forges/forge.ts';
import { ExpiringCache } from './expiring-cache.ts';
import type { FeatureFlags } from './feature-flags.ts';
import type { Trigger } from './trigger-store.ts';

/** GitLab's role needed to use an external agent. */
export const developerAccess = 30;

const roleNames: Record<number, string> = {
  0: 'no access',
  5: 'Minimal Access',
  10: 'Guest',
  15: 'Planner',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainer',
  50: 'Owner',
};

export function roleName(level: number): string {
  return roleNames[level] ?? `access level ${level}`;
}

/**
 * Memoises the forge look-ups one delivery needs (the same author and accounts come up for
 * every trigger that matches), and runs them at once rather than one after another.
 */
export class AccessCache {
  readonly #api: ForgeApi;
  readonly #levels = new Map<string, Promise<number>>();
  readonly #accounts: AccountLevels | undefined;

  /** `accounts`: a longer-lived cache for service accounts' own roles, which rarely change. */
  constructor(api: ForgeApi, accounts?: AccountLevels) {
    this.#api = api;
    this.#accounts = accounts;
  }

  level(projectId: number, userId: number): Promise<number> {
    const key = `${projectId}:${userId}`;
    let level = this.#levels.get(key);
    if (!level) {
      level = this.#api.projectAccessLevel(projectId, userId);
      this.#levels.set(key, level);
    }
    return level;
  }

  /** A service account's role; cached across deliveries for a minute. */
  accountLevel(projectId: number, userId: number): Promise<number> {
    return this.#accounts
      ? this.#accounts.get(projectId, userId, () => this.level(projectId, userId))
      : this.level(projectId, userId);
  }
}

/**
 * Service accounts' roles per project, kept for a short time. A person's role is always read
 * fresh (it decides who may run an agent); the agent account's own role only decides whether a
 * run could succeed, and a minute's delay in noticing a change is harmless.
 */
export class AccountLevels {
  readonly #levels: ExpiringCache<number>;

  constructor(ttlMs = 60_000) {
    this.#levels = new ExpiringCache({ ttlMs });
  }

  get(projectId: number, userId: number, load: () => Promise<number>): Promise<number> {
    return this.#levels.get(`${projectId}:${userId}`, load);
  }
}

export interface TriggerCheckInput {
  trigger: Trigger;
  connectionId: string;
  projectId: number;
  projectPath: string;
  authorId: number;
  authorUsername: string;
  serviceAccountUserId: number;
  serviceAccountUsername: string;
  access: AccessCache;
  flags: FeatureFlags;
  catalog: CatalogStore;
}

/** Null when the trigger may run; otherwise the reason it may not, in words for the audit log. */
export async function checkTrigger(input: TriggerCheckInput): Promise<string | null> {
  const { trigger } = input;
  if (!trigger.active) return 'flow trigger is not active';
  const [triggers, authorLevel, accountLevel] = await Promise.all([
    input.flags.isEnabled('ai_flow_triggers', input.connectionId, input.projectPath),
    input.access.level(input.projectId, input.authorId),
    input.access.accountLevel(input.projectId, input.serviceAccountUserId),
  ]);
  if (!triggers.enabled) {
    return `flow is disabled by a feature flag (ai_flow_triggers, set by ${triggers.decidedBy})`;
  }
  if (trigger.flow.kind === 'catalog') {
    const catalog = await input.flags.isEnabled(
      'ai_catalog_third_party_flows',
      input.connectionId,
      input.projectPath,
    );
    if (!catalog.enabled) {
      return `flow is disabled by a feature flag (ai_catalog_third_party_flows, set by ${catalog.decidedBy})`;
    }
    if (
      !(await input.catalog.isEnabledFor(
        trigger.flow.flowId,
        input.connectionId,
        input.projectPath,
      ))
    ) {
      return `catalog flow ${trigger.flow.flowId} is not enabled for ${input.projectPath}`;
    }
  }
  if (authorLevel < developerAccess) {
    return `@${input.authorUsername} has the ${roleName(authorLevel)} role in ${input.projectPath}; Developer or higher is needed`;
  }
  if (accountLevel < developerAccess) {
    return `service account @${input.serviceAccountUsername} has the ${roleName(accountLevel)} role in ${input.projectPath}; it needs the Developer role`;
  }
  return null;
}
