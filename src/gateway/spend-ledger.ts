import type { ActiveGrant } from './grant-registry.ts';

export interface BudgetLimits {
  /** US dollars per run; 0 = none. */
  runUsd: number;
  /** US dollars per project per UTC day; 0 = none. */
  projectDailyUsd: number;
}

const dayMs = 86_400_000;

/** The UTC day of an instant, as a day number. */
export function utcDay(now: number): number {
  return Math.floor(now / dayMs);
}

const dollars = (value: number) => `$${value.toFixed(2)}`;

/**
 * Spend per run (on the grant) and per project per UTC day, in memory. A call is refused when it
 * starts after a budget is spent; a call in flight is never cut off, so a budget can be
 * overshot by the calls that were running when it ran out. Every call counts what `chargeOf` says.
 */
export class SpendLedger {
  readonly #limits: BudgetLimits;
  /** `<day>\n<projectKey>` → dollars. */
  readonly #projectDays = new Map<string, number>();

  constructor(limits: BudgetLimits) {
    this.#limits = limits;
  }

  /** Why a new call of this run must be refused, or null. */
  refusal(grant: ActiveGrant, now: number): string | null {
    const { runUsd, projectDailyUsd } = this.#limits;
    if (runUsd > 0 && grant.spentUsd >= runUsd) {
      return `Baton's budget for this run is spent: ${dollars(grant.spentUsd)} of ${dollars(runUsd)} (gateway.runBudgetUsd); the run can make no more model calls`;
    }
    if (projectDailyUsd > 0) {
      const spent = this.#projectDays.get(`${utcDay(now)}\n${grant.projectKey}`) ?? 0;
      if (spent >= projectDailyUsd) {
        return `Baton's daily budget for project ${grant.projectPath} is spent: ${dollars(spent)} of ${dollars(projectDailyUsd)} today (UTC, gateway.projectDailyBudgetUsd); model calls resume tomorrow`;
      }
    }
    return null;
  }

  add(grant: ActiveGrant, costUsd: number, now: number): void {
    if (costUsd <= 0) return;
    grant.spentUsd += costUsd;
    const key = `${utcDay(now)}\n${grant.projectKey}`;
    this.#projectDays.set(key, (this.#projectDays.get(key) ?? 0) + costUsd);
  }

  /** Whether today's spend of a project is known here (else load it from the call records). */
  knowsProjectDay(projectKey: string, now: number): boolean {
    return this.#projectDays.has(`${utcDay(now)}\n${projectKey}`);
  }

  /** Sets a project's spend for a day from the call records, unless it is known already. */
  seedProjectDay(projectKey: string, day: number, spentUsd: number): void {
    const key = `${day}\n${projectKey}`;
    if (!this.#projectDays.has(key)) this.#projectDays.set(key, spentUsd);
  }

  /** Forgets days before yesterday. */
  sweep(now: number): void {
    const oldest = utcDay(now) - 1;
    for (const key of this.#projectDays.keys()) {
      if (Number(key.slice(0, key.indexOf('\n'))) < oldest) this.#projectDays.delete(key);
    }
  }
}
