import { z } from 'zod';
import type { ForgeAccount } from '../forges/forge.ts';
import { GitLabApi } from '../forges/gitlab/gitlab-api.ts';
import type { Logger } from '../logging/logger.ts';

/** Who a token belongs to and what it may do, as the forge reports it. */
export interface VerifiedAccount extends ForgeAccount {
  /** The token's scopes; null when the forge would not say (not a personal access token). */
  scopes: string[] | null;
  /** ISO date, or null when the token does not expire. */
  expiresAt: string | null;
}

export type VerifyAccount = (baseUrl: string, token: string) => Promise<VerifiedAccount>;

const tokenSelfSchema = z.object({
  scopes: z.array(z.string()),
  expires_at: z.string().nullish(),
});

/**
 * Asks GitLab who the token belongs to (`GET /user`) and what it may do
 * (`GET /personal_access_tokens/self`, which also serves project and group access tokens).
 * One retry only: a person is waiting on the answer.
 */
export function gitLabAccountVerifier(logger: Logger): VerifyAccount {
  return async (baseUrl, token) => {
    const api = new GitLabApi({ baseUrl, token, logger, retries: 1, timeoutMs: 10_000 });
    const account = await api.currentAccount();
    let scopes: string[] | null = null;
    let expiresAt: string | null = null;
    try {
      const self = await api.http.request('GET', '/personal_access_tokens/self', {
        schema: tokenSelfSchema,
      });
      scopes = self.scopes;
      expiresAt = self.expires_at ?? null;
    } catch (error) {
      logger.warn({ err: error, username: account.username }, 'token scopes could not be read');
    }
    return { ...account, scopes, expiresAt };
  };
}
