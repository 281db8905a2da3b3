import { createHash, randomBytes } from 'node:crypto';
import type { ProviderName } from './gateway-provider.ts';

/** What the gateway holds in memory for one run's token. */
export interface ActiveGrant {
  runId: string;
  connectionId: string;
  projectPath: string;
  /** `connectionId` and `projectPath`: the key of the project's daily spend. */
  projectKey: string;
  tokenHash: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The project's own provider keys, resolved when the grant was made. */
  keys: Partial<Record<ProviderName, string>>;
  /** Dollars spent by this run's priced calls so far. */
  spentUsd: number;
  /** Why a call was refused for budget, once one was. */
  budgetExceeded: string | null;
}

/** A token the gateway knew but no longer accepts, kept to say why. */
interface EndedGrant {
  runId: string;
  reason: 'revoked' | 'expired';
  /** Epoch milliseconds after which nobody needs to be told any more. */
  forgetAt: number;
}

/** How long the reason for a dead token is remembered. */
const rememberEndedMs = 60 * 60_000;

/** `baton-gw-` and 32 random bytes: recognisable in a leaked log, unguessable. */
export function newGatewayToken(): string {
  return `baton-gw-${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function projectKeyOf(connectionId: string, projectPath: string): string {
  return `${connectionId}\n${projectPath}`;
}

export type GrantLookup = { grant: ActiveGrant } | { refusal: string };

/**
 * The live grants, by token hash, in memory: the hot path looks a token up without touching the
 * database (the `gateway_grants` row is the durable record, loaded again at start).
 */
export class GrantRegistry {
  readonly #byHash = new Map<string, ActiveGrant>();
  readonly #byRun = new Map<string, ActiveGrant>();
  /**
   * Tokens already seen, as presented, so that a run's later calls skip the hash. In memory
   * only, for live grants only; the database never holds a token.
   */
  readonly #byToken = new Map<string, ActiveGrant>();
  readonly #tokenOf = new Map<string, string>();
  readonly #ended = new Map<string, EndedGrant>();

  add(grant: ActiveGrant): void {
    this.remove(grant.runId, 'revoked');
    this.#ended.delete(grant.tokenHash);
    this.#byHash.set(grant.tokenHash, grant);
    this.#byRun.set(grant.runId, grant);
  }

  byRun(runId: string): ActiveGrant | undefined {
    return this.#byRun.get(runId);
  }

  lookup(token: string | null, now: number): GrantLookup {
    if (token === null) {
      return {
        refusal:
          "missing gateway token: send the run's token (AI_FLOW_AI_GATEWAY_TOKEN) as x-api-key, Authorization: Bearer or x-goog-api-key",
      };
    }
    const seen = this.#byToken.get(token);
    if (seen !== undefined && seen.expiresAt > now) return { grant: seen };
    const hash = hashToken(token);
    const grant = this.#byHash.get(hash);
    if (grant !== undefined) {
      if (grant.expiresAt > now) {
        this.#byToken.set(token, grant);
        this.#tokenOf.set(grant.runId, token);
        return { grant };
      }
      this.remove(grant.runId, 'expired');
    }
    const ended = this.#ended.get(hash);
    if (ended?.reason === 'revoked') {
      return { refusal: `the gateway token of run ${ended.runId} was revoked: the run has ended` };
    }
    if (ended?.reason === 'expired') {
      return { refusal: `the gateway token of run ${ended.runId} has expired` };
    }
    return { refusal: 'invalid gateway token: it is not a token Baton gave to a run' };
  }

  /** Stops accepting the run's token at once. */
  remove(runId: string, reason: EndedGrant['reason']): void {
    const grant = this.#byRun.get(runId);
    if (grant === undefined) return;
    this.#byRun.delete(runId);
    this.#byHash.delete(grant.tokenHash);
    const token = this.#tokenOf.get(runId);
    if (token !== undefined) {
      this.#byToken.delete(token);
      this.#tokenOf.delete(runId);
    }
    this.#ended.set(grant.tokenHash, {
      runId,
      reason,
      forgetAt: Math.max(grant.expiresAt, Date.now()) + rememberEndedMs,
    });
  }

  /** Drops expired grants and long-dead tombstones. */
  sweep(now: number): void {
    for (const grant of this.#byRun.values()) {
      if (grant.expiresAt <= now) this.remove(grant.runId, 'expired');
    }
    for (const [hash, ended] of this.#ended) {
      if (ended.forgetAt <= now) this.#ended.delete(hash);
    }
  }

  get size(): number {
    return this.#byHash.size;
  }
}
