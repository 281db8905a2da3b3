import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.ts';
import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ForgeConnection } from '../forges/connection-store.ts';
import { readGitLabWebhook } from '../forges/gitlab/read-gitlab-webhook.ts';
import { findCandidates } from '../triggers/find-candidates.ts';
import type { DeliveryStore } from './delivery-store.ts';

export interface WebhookRouteDeps {
  registry: ConnectionRegistry;
  deliveries: DeliveryStore;
  /** Called after a delivery is committed, to wake the worker. */
  onStored: () => void;
  /** GitLab caps webhook bodies at 25 MB. */
  bodyLimit: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    forgeConnection?: ForgeConnection;
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /webhooks/gitlab[/:connection]`: the secret is checked before the body is read, the body
 * is bounded and validated, and the delivery is stored (once per Idempotency-Key) before the
 * answer. No forge call happens here; GitLab gives up after 10 s and disables failing hooks.
 */
export async function registerWebhookRoutes(
  app: FastifyInstance,
  deps: WebhookRouteDeps,
): Promise<void> {
  await app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    // Kept as text: the stored payload is exactly what GitLab sent, and it is parsed once here.
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'string', bodyLimit: deps.bodyLimit },
      (_request, body, next) => {
        next(null, body);
      },
    );

    scope.addHook('onRequest', (request, _reply, next) => {
      const { connection } = request.params as { connection?: string };
      const matched = deps.registry.matchWebhook(connection, header(request, 'x-gitlab-token'));
      if (!matched) {
        next(new AppError('UNAUTHORIZED', 'Invalid or missing X-Gitlab-Token'));
        return;
      }
      request.forgeConnection = matched;
      next();
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const connection = request.forgeConnection;
      if (!connection) throw new AppError('UNAUTHORIZED', 'Invalid or missing X-Gitlab-Token');
      const raw = typeof request.body === 'string' ? request.body : '';
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new AppError('BAD_REQUEST', 'The webhook body is not valid JSON');
      }
      const event = header(request, 'x-gitlab-event');
      const reading = readGitLabWebhook(event, body);
      if (reading.outcome === 'invalid') {
        throw new AppError(
          'BAD_REQUEST',
          `The ${event ?? 'webhook'} body is not what GitLab sends`,
          {
            details: { problems: reading.problems },
          },
        );
      }
      if (reading.outcome === 'ignored') {
        return reply.status(200).send({ status: 'ignored', reason: reading.reason });
      }
      // Most comments address no agent: answer them without a database write.
      const addressed = reading.activities.some(
        (activity) => findCandidates(activity, connection.serviceAccounts).kind !== 'none',
      );
      if (!addressed) {
        return reply
          .status(200)
          .send({ status: 'ignored', reason: 'no service account addressed' });
      }
      // GitLab before 17.4 sends no Idempotency-Key: the same body for the same event is the
      // same delivery.
      const key =
        header(request, 'idempotency-key') ??
        `sha256:${createHash('sha256')
          .update(`${event ?? ''}\n${raw}`)
          .digest('hex')}`;
      const stored = await deps.deliveries.insert({
        connectionId: connection.id,
        idempotencyKey: key,
        event: event ?? '',
        payload: raw,
      });
      // Taken: already in an idle worker slot of this process, nothing to wake.
      if (!stored.duplicate && !stored.taken) deps.onStored();
      request.log.info(
        { deliveryId: stored.id, event, duplicate: stored.duplicate },
        'webhook stored',
      );
      return reply
        .status(200)
        .send({ status: stored.duplicate ? 'duplicate' : 'accepted', deliveryId: stored.id });
    };

    // Every delivery is a row already; two access-log lines per webhook (GitLab sends one for
    // every comment, Baton's own included) are noise at this rate. Warnings and errors still log.
    scope.post('/webhooks/gitlab', { logLevel: 'warn' }, handler);
    scope.post('/webhooks/gitlab/:connection', { logLevel: 'warn' }, handler);
    done();
  });
}
