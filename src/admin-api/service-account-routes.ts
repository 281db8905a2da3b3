import { z } from 'zod';
import { AppError, isAppError } from '../errors/app-error.ts';
import type { ForgeConnection } from '../forges/connection-store.ts';
import type { Logger } from '../logging/logger.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { findConnection, isForeignKeyViolation } from './admin-lookups.ts';
import { adminRoute, type AdminRoute } from './admin-route.ts';
import {
  connectionParams,
  serviceAccountAdded,
  serviceAccountBody,
  serviceAccountParams,
  serviceAccountView,
} from './admin-schemas.ts';
import { serviceAccountViewOf } from './admin-views.ts';
import {
  gitLabAccountVerifier,
  type VerifiedAccount,
  type VerifyAccount,
} from './verify-gitlab-account.ts';

const tag = 'service accounts';
const soonMs = 30 * 24 * 60 * 60 * 1000;

async function verifyToken(
  verify: VerifyAccount,
  connection: ForgeConnection,
  token: string,
): Promise<VerifiedAccount & { scopes: string[] }> {
  let verified: VerifiedAccount;
  try {
    verified = await verify(connection.baseUrl, token);
  } catch (error) {
    // An unreachable forge is the forge's problem (502); a refused token is the request's.
    if (isAppError(error) && error.code.startsWith('FORGE_') && error.code !== 'FORGE_UNAVAILABLE')
      throw new AppError(
        'BAD_REQUEST',
        `GitLab at ${connection.baseUrl} did not accept the token: ${error.message}`,
        { cause: error },
      );
    throw error;
  }
  const { scopes } = verified;
  if (scopes === null) {
    throw new AppError(
      'BAD_REQUEST',
      `GitLab at ${connection.baseUrl} would not tell the token's scopes; use a personal, project or group access token`,
    );
  }
  if (!scopes.includes('api')) {
    throw new AppError(
      'BAD_REQUEST',
      `The token of ${verified.username} lacks the api scope (it has: ${scopes.join(', ') || 'none'}); Baton needs api to reply in threads and open merge requests`,
    );
  }
  return { ...verified, scopes };
}

function accountWarnings(account: VerifiedAccount & { scopes: string[] }, now: number): string[] {
  const warnings: string[] = [];
  if (!account.bot) {
    warnings.push(
      `${account.username} is a regular user, not a service account. That works (GitLab Free has no service accounts), but the agent can reach everything this user can; prefer a dedicated account with Developer role in the projects it serves.`,
    );
  }
  if (!account.scopes.includes('write_repository')) {
    warnings.push(
      'The token lacks the write_repository scope: Baton will not be able to push the agent’s branch.',
    );
  }
  if (account.expiresAt !== null && Date.parse(account.expiresAt) - now < soonMs) {
    warnings.push(`The token expires on ${account.expiresAt}; rotate it before then.`);
  }
  return warnings;
}

function logWarnings(logger: Logger, connection: string, username: string, warnings: string[]) {
  if (warnings.length > 0) {
    logger.warn({ connection, username, warnings }, 'service account added with warnings');
  }
}

/** Service accounts: the forge identities agents act as, one token each. */
export function serviceAccountRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { connections, registry, triggers, logger } = deps;
  const verify = deps.verifyAccount ?? gitLabAccountVerifier(logger);
  return [
    adminRoute({
      method: 'GET',
      path: '/connections/:id/service-accounts',
      tag,
      summary: 'List the service accounts of a connection',
      params: connectionParams,
      responses: {
        200: { description: 'The accounts', schema: z.array(serviceAccountView) },
        404: { description: 'No such connection' },
      },
      handle: async ({ params }) => {
        const connection = await findConnection(connections, params.id);
        return { status: 200, body: connection.serviceAccounts.map(serviceAccountViewOf) };
      },
    }),
    adminRoute({
      method: 'POST',
      path: '/connections/:id/service-accounts',
      tag,
      summary: 'Add (or re-token) a service account from its access token',
      description:
        'Baton asks GitLab who the token belongs to and which scopes it has. A token without the api scope is refused; a regular (non-bot) user, a token without write_repository or one expiring within 30 days is accepted with a warning.',
      params: connectionParams,
      body: serviceAccountBody,
      responses: {
        200: {
          description: 'The account existed; its token was replaced',
          schema: serviceAccountAdded,
        },
        201: { description: 'Added', schema: serviceAccountAdded },
        404: { description: 'No such connection' },
        502: { description: 'GitLab could not be reached' },
      },
      handle: async ({ params, body }) => {
        const connection = await findConnection(connections, params.id);
        const account = await verifyToken(verify, connection, body.token);
        const warnings = accountWarnings(account, Date.now());
        const existed = connection.serviceAccounts.some((a) => a.username === account.username);
        const stored = {
          connectionId: connection.id,
          username: account.username,
          forgeUserId: account.id,
          name: account.name,
          email: account.email,
          token: body.token,
        };
        const id = await connections.upsertServiceAccount(stored);
        await registry.reload();
        logger.info(
          { connection: connection.id, username: account.username },
          'service account saved',
        );
        logWarnings(logger, connection.id, account.username, warnings);
        const view = serviceAccountViewOf({ ...stored, id });
        return {
          status: existed ? 200 : 201,
          body: {
            ...view,
            bot: account.bot,
            scopes: account.scopes,
            tokenExpiresAt: account.expiresAt,
            warnings,
          },
        };
      },
    }),
    adminRoute({
      method: 'DELETE',
      path: '/connections/:id/service-accounts/:username',
      tag,
      summary: 'Remove a service account (Baton forgets its token)',
      params: serviceAccountParams,
      responses: {
        204: { description: 'Removed' },
        404: { description: 'No such connection or account' },
        409: { description: 'Triggers or runs still refer to it' },
      },
      handle: async ({ params }) => {
        const connection = await findConnection(connections, params.id);
        const account = connection.serviceAccounts.find((a) => a.username === params.username);
        if (!account) {
          throw new AppError('NOT_FOUND', `No service account ${params.username} in ${params.id}`);
        }
        const using = (await triggers.list()).filter((t) => t.serviceAccountId === account.id);
        if (using.length > 0) {
          throw new AppError(
            'CONFLICT',
            `${account.username} is used by trigger(s) ${using.map((t) => t.id).join(', ')}; delete them first`,
          );
        }
        try {
          await connections.removeServiceAccount(connection.id, account.username);
        } catch (error) {
          if (!isForeignKeyViolation(error)) throw error;
          throw new AppError('CONFLICT', `${account.username} has recorded runs; it is kept`, {
            cause: error,
          });
        }
        await registry.reload();
        logger.info(
          { connection: connection.id, username: account.username },
          'service account removed',
        );
        return { status: 204 };
      },
    }),
  ];
}
