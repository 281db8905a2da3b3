import type { CatalogStore } from '../flows/catalog-store.ts';
import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ForgeConnection, ServiceAccount } from '../forges/connection-store.ts';
import type { ForgeActivity, Noteable } from '../forges/forge-activity.ts';
import type { ForgeAccount, NoteableAddress } from '../forges/forge.ts';
import { readGitLabWebhook } from '../forges/gitlab/read-gitlab-webhook.ts';
import { DeliveryNotStored, type Delivery, type DeliveryStore } from '../intake/delivery-store.ts';
import type { Logger } from '../logging/logger.ts';
import { processingNote } from './acknowledgement-notes.ts';
import {
  AccessCache,
  AccountLevels,
  checkTrigger,
  developerAccess,
  roleName,
} from './check-trigger.ts';
import { ExpiringCache } from './expiring-cache.ts';
import type { FeatureFlags } from './feature-flags.ts';
import { findCandidates, type Candidate } from './find-candidates.ts';
import { startJobEvent, type StartJob } from './start-run.ts';
import type { Trigger, TriggerStore } from './trigger-store.ts';

export interface TriggerPipelineDeps {
  registry: ConnectionRegistry;
  triggers: TriggerStore;
  flags: FeatureFlags;
  catalog: CatalogStore;
  deliveries: DeliveryStore;
  /** Cancels the account's queued and active runs on a thread; returns the run ids. */
  stopRuns: (input: {
    noteable: Noteable;
    account: ServiceAccount;
    by: string;
  }) => Promise<string[]>;
  logger: Logger;
}

/** GitLab's wording for a refused non-human author (gitlab-spec.md §2.3). */
export const nonHumanRefusal = 'cannot be triggered by non-human users';

/**
 * How long an author's account (bot or not, name, e-mail) is kept. Whether an account is a bot
 * is fixed when GitLab creates it, so only the name and e-mail given to the run can be this old.
 * The author's role is never kept: it decides who may run an agent.
 */
export const authorAccountTtlMs = 5 * 60_000;

interface Accepted {
  trigger: Trigger;
  candidate: Candidate;
}

/**
 * Turns one stored webhook delivery into decisions, acknowledgements and queued runs. Every
 * refusal is recorded with its reason; every accepted trigger gets exactly one note in the
 * thread that ends as "started" (with the run's link) or "could not start" (with why).
 */
export class TriggerPipeline {
  readonly #deps: TriggerPipelineDeps;
  readonly #accountLevels = new AccountLevels();
  readonly #authors = new ExpiringCache<ForgeAccount>({ ttlMs: authorAccountTtlMs });

  constructor(deps: TriggerPipelineDeps) {
    this.#deps = deps;
  }

  async process(delivery: Delivery): Promise<string> {
    const outcome = await this.#process(delivery);
    // Logged once the delivery is known to be stored (and so has its id).
    if (await delivery.stored) {
      for (const d of delivery.writes.decisions) {
        if (d.decision !== 'refused') continue;
        this.#deps.logger.info(
          {
            deliveryId: delivery.id,
            triggerId: d.triggerId,
            serviceAccount: d.serviceAccount,
            eventType: d.eventType,
            reason: d.reason,
          },
          'trigger refused',
        );
      }
    }
    return outcome;
  }

  async #process(delivery: Delivery): Promise<string> {
    const connection = this.#deps.registry.get(delivery.connectionId);
    if (!connection) return 'connection no longer configured';
    const reading = readGitLabWebhook(delivery.event, delivery.payload);
    if (reading.outcome !== 'activities') {
      const reason = reading.outcome === 'ignored' ? reading.reason : reading.problems.join('; ');
      this.#record(delivery, null, null, 'ignored', reason);
      return reason;
    }
    const outcomes: string[] = [];
    for (const activity of reading.activities) {
      outcomes.push(await this.#processActivity(delivery, connection, activity));
    }
    return outcomes.join('; ');
  }

  async #processActivity(
    delivery: Delivery,
    connection: ForgeConnection,
    activity: ForgeActivity,
  ): Promise<string> {
    const found = findCandidates(activity, connection.serviceAccounts);
    if (found.kind === 'none') {
      this.#record(delivery, null, null, 'ignored', found.reason);
      return found.reason;
    }
    if (found.kind === 'refused') {
      for (const account of found.accounts)
        this.#record(delivery, null, account, 'refused', found.reason, 'mention');
      return found.reason;
    }
    const first = found.candidates[0]?.account ?? found.stops[0];
    if (!first) return 'no candidates';
    // Any service account Baton knows, not just the one addressed: an agent's own note that
    // mentions another agent must not start a chain of runs.
    const api = this.#deps.registry.api(first);
    const authorIsAgent = connection.serviceAccounts.some(
      (a) => a.forgeUserId === activity.actor.id,
    );
    // The author's role is needed next; ask for it while asking who the author is.
    const access = new AccessCache(api, this.#accountLevels);
    if (!authorIsAgent)
      access.level(activity.noteable.projectId, activity.actor.id).catch(() => undefined);
    const author = authorIsAgent
      ? null
      : await this.#authors.get(`${connection.id}:${activity.actor.id}`, () =>
          api.getAccount(activity.actor.id),
        );
    if (author === null || author.bot) {
      for (const c of found.candidates) {
        this.#record(delivery, null, c.account.username, 'refused', nonHumanRefusal, c.eventType);
      }
      return nonHumanRefusal;
    }
    const stopped = await this.#stop(delivery, activity, found.stops, access);
    const accepted = await this.#check(delivery, connection, activity, found.candidates, access);
    const results = await Promise.all(
      accepted.map((a) => this.#start(delivery, activity, author, a)),
    );
    const all = [...stopped, ...results];
    return all.length > 0 ? all.join('; ') : 'no trigger accepted';
  }

  /** `@account stop`: cancels that account's runs on this issue or merge request. */
  async #stop(
    delivery: Delivery,
    activity: ForgeActivity,
    accounts: ServiceAccount[],
    access: AccessCache,
  ): Promise<string[]> {
    if (accounts.length === 0) return [];
    const { noteable, actor } = activity;
    const level = await access.level(noteable.projectId, actor.id);
    const outcomes: string[] = [];
    for (const account of accounts) {
      if (level < developerAccess) {
        const reason = `@${actor.username} has the ${roleName(level)} role; stopping a run needs Developer or higher`;
        this.#record(delivery, null, account.username, 'refused', reason, 'stop');
        outcomes.push(reason);
        continue;
      }
      await this.#mayAct(delivery);
      const cancelled = await this.#deps.stopRuns({ noteable, account, by: actor.username });
      const reason =
        cancelled.length > 0 ? `stop: cancelled ${cancelled.join(', ')}` : 'stop: no active run';
      this.#record(
        delivery,
        null,
        account.username,
        'accepted',
        reason,
        'stop',
        cancelled[0] ?? null,
      );
      outcomes.push(reason);
    }
    return outcomes;
  }

  async #check(
    delivery: Delivery,
    connection: ForgeConnection,
    activity: ForgeActivity,
    candidates: Candidate[],
    access: AccessCache,
  ): Promise<Accepted[]> {
    const { noteable } = activity;
    const accepted: Accepted[] = [];
    for (const candidate of candidates) {
      const triggers = await this.#deps.triggers.matching({
        connectionId: connection.id,
        serviceAccountId: candidate.account.id,
        eventType: candidate.eventType,
        projectPath: noteable.projectPath,
      });
      if (triggers.length === 0) {
        const reason = `no ${candidate.eventType} trigger for @${candidate.account.username} in ${noteable.projectPath}`;
        this.#record(
          delivery,
          null,
          candidate.account.username,
          'ignored',
          reason,
          candidate.eventType,
        );
        continue;
      }
      const verdicts = await Promise.all(
        triggers.map((trigger) =>
          checkTrigger({
            trigger,
            connectionId: connection.id,
            projectId: noteable.projectId,
            projectPath: noteable.projectPath,
            authorId: activity.actor.id,
            authorUsername: activity.actor.username,
            serviceAccountUserId: candidate.account.forgeUserId,
            serviceAccountUsername: candidate.account.username,
            access,
            flags: this.#deps.flags,
            catalog: this.#deps.catalog,
          }),
        ),
      );
      for (const [index, trigger] of triggers.entries()) {
        const refusal = verdicts[index];
        if (refusal) {
          this.#record(
            delivery,
            trigger.id,
            candidate.account.username,
            'refused',
            refusal,
            candidate.eventType,
          );
        } else {
          accepted.push({ trigger, candidate });
        }
      }
    }
    return accepted;
  }

  async #start(
    delivery: Delivery,
    activity: ForgeActivity,
    author: ForgeAccount,
    accepted: Accepted,
  ): Promise<string> {
    const { trigger, candidate } = accepted;
    const { account } = candidate;
    const api = this.#deps.registry.api(account);
    const { noteable } = activity;
    const address: NoteableAddress = {
      type: noteable.type,
      projectId: noteable.projectId,
      iid: noteable.iid,
    };
    await this.#mayAct(delivery);
    const ack =
      activity.kind === 'comment' && activity.discussionId !== null
        ? await api.replyToDiscussion(address, activity.discussionId, processingNote)
        : await api.createNote(address, processingNote);
    // What follows (reading the flow file, the thread, the diff) takes many forge calls: it
    // runs as its own queued job so that this worker slot is free for the next placeholder. The
    // worker commits the job with this delivery's outcome.
    const job: StartJob = {
      sourceDeliveryId: delivery.id,
      triggerId: trigger.id,
      serviceAccountId: account.id,
      eventType: candidate.eventType,
      activity,
      ack,
      requester: author,
    };
    delivery.writes.enqueue({
      idempotencyKey: `start:${delivery.id}:${trigger.id}:${account.id}`,
      event: startJobEvent,
      payload: JSON.stringify(job),
    });
    return `acknowledged for trigger ${trigger.id}`;
  }

  /**
   * Waits until the delivery is stored before an effect (a note, a cancelled run): what came
   * before were reads, made while the delivery was being committed.
   */
  async #mayAct(delivery: Delivery): Promise<void> {
    if (!(await delivery.stored)) throw new DeliveryNotStored('a redelivery, or not stored');
  }

  /** Kept with the delivery and written with its outcome (one statement for all of them). */
  #record(
    delivery: Delivery,
    triggerId: number | null,
    serviceAccount: string | null,
    decision: 'accepted' | 'refused' | 'ignored',
    reason: string,
    eventType: string | null = null,
    runId: string | null = null,
  ): void {
    delivery.writes.decide({ triggerId, serviceAccount, eventType, decision, reason, runId });
  }
}
