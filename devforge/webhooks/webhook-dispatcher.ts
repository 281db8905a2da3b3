import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ForgeUrls } from '../forge-urls.ts';
import { forgeVersion } from '../forge-version.ts';
import type { ForgeState } from '../state/forge-state.ts';
import type { Hook, HookDelivery, HookEventFlag } from '../state/types.ts';
import { WebhookPoster } from './post-webhook.ts';

/** One event to deliver: which hook flag selects it, its `X-Gitlab-Event` name and body. */
export interface HookEvent {
  flag: HookEventFlag;
  name: string;
  payload: Record<string, unknown>;
}

/** Where the event happened: project hooks of `projectId`, group hooks of `groupIds`. */
export interface HookTarget {
  projectId: number | null;
  groupIds: readonly number[];
  /** For push events with a branch filter. */
  branch?: string;
}

interface Batch {
  eventUuid: string;
  starts: (() => void)[];
}

const timeoutMs = 10_000;
const maxStoredBody = 8 * 1024;

export interface DeliveryEvents {
  delivered: [HookDelivery];
}

/**
 * Sends webhooks the way GitLab does: after the API response (GitLab queues them in Sidekiq),
 * one `X-Gitlab-Event-UUID` per originating request, a fresh `X-Gitlab-Webhook-UUID` per
 * attempt, an `Idempotency-Key` per (event, hook) kept on resend, a 10 s timeout, and a log.
 *
 * A delivery counts as pending from the moment the route emits it, so `idle()` called right
 * after an API response can never miss a delivery that has not started yet.
 */
export class WebhookDispatcher extends EventEmitter<DeliveryEvents> {
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly batches = new WeakMap<FastifyRequest, Batch>();
  private readonly poster = new WebhookPoster();

  constructor(
    private readonly getState: () => ForgeState,
    private readonly urls: ForgeUrls,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Queues `event` for every matching hook; it is sent once `request` has been answered. */
  enqueue(request: FastifyRequest | null, target: HookTarget, event: HookEvent): boolean {
    const batch = request === null ? this.detachedBatch() : this.batchOf(request);
    for (const hook of this.matchingHooks(target, event.flag)) {
      this.pending += 1;
      const idempotencyKey = randomUUID();
      batch.starts.push(() => {
        this.deliver(hook, event, batch.eventUuid, idempotencyKey)
          .catch((error: unknown) => {
            this.log.error({ err: error, hookId: hook.id }, 'webhook delivery crashed');
          })
          .finally(() => {
            this.settle();
          });
      });
    }
    if (request === null) this.startBatch(batch);
    return true;
  }

  /** Called from the server's onResponse hook. */
  release(request: FastifyRequest): void {
    const batch = this.batches.get(request);
    if (batch === undefined) return;
    this.batches.delete(request);
    this.startBatch(batch);
  }

  /** Counts async work that may still enqueue deliveries (e.g. after a git push) as pending. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending += 1;
    return work.finally(() => {
      this.settle();
    });
  }

  /** Resolves once every queued and running delivery has finished. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Re-sends a logged delivery synchronously, with the same `Idempotency-Key`. */
  async resend(delivery: HookDelivery): Promise<HookDelivery> {
    const hook = this.getState().hooks.get(delivery.hookId);
    if (hook === undefined) throw new Error('hook no longer exists');
    const event: HookEvent = {
      flag: 'push_events',
      name: delivery.trigger,
      payload: delivery.requestData as Record<string, unknown>,
    };
    this.pending += 1;
    try {
      return await this.deliver(hook, event, randomUUID(), delivery.idempotencyKey);
    } finally {
      this.settle();
    }
  }

  private batchOf(request: FastifyRequest): Batch {
    let batch = this.batches.get(request);
    if (batch === undefined) {
      batch = { eventUuid: randomUUID(), starts: [] };
      this.batches.set(request, batch);
    }
    return batch;
  }

  private detachedBatch(): Batch {
    return { eventUuid: randomUUID(), starts: [] };
  }

  private startBatch(batch: Batch): void {
    const starts = batch.starts.splice(0);
    if (starts.length === 0) return;
    setImmediate(() => {
      for (const start of starts) start();
    });
  }

  private settle(): void {
    this.pending -= 1;
    if (this.pending > 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  private matchingHooks(target: HookTarget, flag: HookEventFlag): Hook[] {
    const state = this.getState();
    return [...state.hooks.values()].filter((hook) => {
      if (!hook.events[flag]) return false;
      if (flag === 'push_events' && hook.pushEventsBranchFilter && target.branch !== undefined) {
        if (!branchMatches(hook.pushEventsBranchFilter, target.branch)) return false;
      }
      return hook.scope.kind === 'project'
        ? hook.scope.projectId === target.projectId
        : target.groupIds.includes(hook.scope.groupId);
    });
  }

  private async deliver(
    hook: Hook,
    event: HookEvent,
    eventUuid: string,
    idempotencyKey: string,
  ): Promise<HookDelivery> {
    const { url, basicAuth } = splitCredentials(hook.url);
    const webhookUuid = randomUUID();
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `GitLab/${forgeVersion}`,
      'X-Gitlab-Event': event.name,
      'X-Gitlab-Webhook-UUID': webhookUuid,
      'X-Gitlab-Instance': this.urls.base,
      'X-Gitlab-Event-UUID': eventUuid,
      'Idempotency-Key': idempotencyKey,
    };
    if (hook.token !== null) headers['X-Gitlab-Token'] = hook.token.replace(/[\r\n]/g, '');
    const sendHeaders = basicAuth === null ? headers : { ...headers, Authorization: basicAuth };
    const body = JSON.stringify(event.payload);
    const started = performance.now();
    let responseStatus = 'internal error';
    let responseHeaders: Record<string, string> = {};
    let responseBody = '';
    try {
      const answer = await this.poster.post(url, sendHeaders, body, {
        timeoutMs,
        maxBody: maxStoredBody,
      });
      responseStatus = String(answer.status);
      responseHeaders = answer.headers;
      responseBody = answer.body;
    } catch (error: unknown) {
      responseBody = error instanceof Error ? error.message : 'request failed';
      this.log.warn({ hookId: hook.id, url }, 'webhook delivery failed');
    }
    const state = this.getState();
    const delivery: HookDelivery = {
      id: state.nextId('hookDelivery'),
      hookId: hook.id,
      trigger: event.name,
      url,
      idempotencyKey,
      eventUuid,
      webhookUuid,
      requestHeaders: {
        ...headers,
        ...(hook.token === null ? {} : { 'X-Gitlab-Token': '[REDACTED]' }),
      },
      requestData: event.payload,
      responseStatus,
      responseHeaders,
      responseBody,
      executionDuration: (performance.now() - started) / 1000,
      createdAt: Date.now(),
    };
    state.deliveries.set(delivery.id, delivery);
    this.emit('delivered', delivery);
    return delivery;
  }
}

/** GitLab strips `user:pass@` from a hook URL and sends HTTP Basic auth instead. */
function splitCredentials(raw: string): { url: string; basicAuth: string | null } {
  const parsed = new URL(raw);
  if (parsed.username === '' && parsed.password === '') return { url: raw, basicAuth: null };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString(),
    basicAuth: `Basic ${Buffer.from(credentials).toString('base64')}`,
  };
}

/** Wildcard branch filter (`main`, `release/*`), GitLab's default strategy. */
function branchMatches(filter: string, branch: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(branch);
}
