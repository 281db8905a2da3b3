import { createHmac, hkdfSync } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { adminTokenMatches } from '../admin-api/require-admin-token.ts';
import { AppError } from '../errors/app-error.ts';

/** `admin` may list and cancel runs; `viewer` may read one run (its page, API and log). */
export type RunAccessLevel = 'admin' | 'viewer';

export interface RunAccessOptions {
  /** The admin API's bearer token; without it nobody is an admin here either. */
  adminToken?: string | undefined;
}

/** The query parameter that carries a run's view token. */
export const viewTokenParameter = 't';

const tokenBytes = 16;

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1];
}

/**
 * Who may see and cancel a run. A link in a GitLab note carries a view token, an HMAC of the run
 * id, so that whoever can read the thread can open the run, and nobody can from the run id alone
 * (it is also a branch name, so it is not a secret). See docs/decisions/0003-run-page-access.md.
 */
export class RunAccess {
  readonly #key: Buffer;
  readonly #adminToken: string | undefined;

  /** `secret`: the instance secret; a key for view tokens only is derived from it. */
  constructor(secret: Buffer, options: RunAccessOptions = {}) {
    if (secret.length < 16) {
      throw new AppError('CONFIG_INVALID', 'The run link secret must be at least 16 bytes');
    }
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'baton run view v1', 32));
    this.#adminToken = options.adminToken;
  }

  /** 128 bits, base64url: not guessable, short enough for a link. */
  tokenFor(runId: string): string {
    return createHmac('sha256', this.#key)
      .update(`run:${runId}`)
      .digest()
      .subarray(0, tokenBytes)
      .toString('base64url');
  }

  /** The run page's path with its view token; prefix it with the public URL. */
  linkFor(runId: string): string {
    return `/runs/${encodeURIComponent(runId)}?${viewTokenParameter}=${this.tokenFor(runId)}`;
  }

  /** Compares whole strings (base64url decoding is lenient about the last character). */
  tokenMatches(runId: string, presented: string): boolean {
    return adminTokenMatches(presented, this.tokenFor(runId));
  }

  isAdminToken(presented: string): boolean {
    return this.#adminToken !== undefined && adminTokenMatches(presented, this.#adminToken);
  }

  isAdmin(request: FastifyRequest): boolean {
    const presented = bearerToken(request.headers.authorization);
    return presented !== undefined && this.isAdminToken(presented);
  }

  /** The caller's access to one run: the admin token, or that run's view token in the query. */
  verify(request: FastifyRequest, runId: string): RunAccessLevel | undefined {
    if (this.isAdmin(request)) return 'admin';
    const query = request.query as Record<string, unknown> | undefined;
    const token = query?.[viewTokenParameter];
    if (typeof token === 'string' && token.length <= 64 && this.tokenMatches(runId, token)) {
      return 'viewer';
    }
    return undefined;
  }
}
