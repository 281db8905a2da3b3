import type { CatalogStore } from '../flows/catalog-store.ts';
import { resolveFlow } from '../flows/resolve-flow.ts';
import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ForgeConnection, ServiceAccount } from '../forges/connection-store.ts';
import type { ForgeActivity } from '../forges/forge-activity.ts';
import type { ForgeApi, NoteableAddress } from '../forges/forge.ts';
import { readGitLabWebhook } from '../forges/gitlab/read-gitlab-webhook.ts';
import type { Delivery, DeliveryStore } from '../intake/delivery-store.ts';
import type { Logger } from '../logging/logger.ts';
import { buildFlowContext } from '../runs/build-flow-context.ts';
import { newRunId, type NewRun, type RunStore } from '../runs/run-store.ts';
import { couldNotStartNote, processingNote, startedNote } from './acknowledgement-notes.ts';
import { AccessCache, checkTrigger } from './check-trigger.ts';
import type { FeatureFlags } from './feature-flags.ts';
import { findCandidates, type Candidate } from './find-candidates.ts';
import type { Trigger, TriggerStore } from './trigger-store.ts';

export interface TriggerPipelineDeps {
  registry: ConnectionRegistry;
  triggers: TriggerStore;
  flags: FeatureFlags;
  catalog: CatalogStore;
  deliveries: DeliveryStore;
  runs: RunStore;
  /** The run page's absolute URL (with its view token), for the started note. */
  runLink: (runId: string) => string;
  /** Called once a run is queued, to wake the scheduler. */
  onRunQueued?: () => void;
  logger: Logger;
}

/** GitLab's wording for a refused non-human author (gitlab-spec.md §2.3). */
export const nonHumanRefusal = 'cannot be triggered by non-human users';

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

  constructor(deps: TriggerPipelineDeps) {
    this.#deps = deps;
  }

  async process(delivery: Delivery): Promise<string> {
    const connection = this.#deps.registry.get(delivery.connectionId);
    if (!connection) return 'connection no longer configured';
    const reading = readGitLabWebhook(delivery.event, delivery.payload);
    if (reading.outcome !== 'activities') {
      const reason = reading.outcome === 'ignored' ? reading.reason : reading.problems.join('; ');
      await this.#record(delivery, null, null, 'ignored', reason);
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
      await this.#record(delivery, null, null, 'ignored', found.reason);
      return found.reason;
    }
    if (found.kind === 'refused') {
      for (const account of found.accounts)
        await this.#record(delivery, null, account, 'refused', found.reason, 'mention');
      return found.reason;
    }
    const [first] = found.candidates;
    if (!first) return 'no candidates';
    // Any service account Baton knows, not just the one addressed: an agent's own note that
    // mentions another agent must not start a chain of runs.
    const api = this.#deps.registry.api(first.account);
    const authorIsAgent = connection.serviceAccounts.some(
      (a) => a.forgeUserId === activity.actor.id,
    );
    const author = authorIsAgent ? null : await api.getAccount(activity.actor.id);
    if (authorIsAgent || author?.bot === true) {
      for (const c of found.candidates) {
        await this.#record(
          delivery,
          null,
          c.account.username,
          'refused',
          nonHumanRefusal,
          c.eventType,
        );
      }
      return nonHumanRefusal;
    }
    const accepted = await this.#check(delivery, connection, activity, found.candidates, api);
    const results = await Promise.all(
      accepted.map((a) => this.#start(delivery, connection, activity, a)),
    );
    return results.length > 0 ? results.join('; ') : 'no trigger accepted';
  }

  async #check(
    delivery: Delivery,
    connection: ForgeConnection,
    activity: ForgeActivity,
    candidates: Candidate[],
    api: ForgeApi,
  ): Promise<Accepted[]> {
    const access = new AccessCache(api);
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
        await this.#record(
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
          await this.#record(
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
    connection: ForgeConnection,
    activity: ForgeActivity,
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
    const ack =
      activity.kind === 'comment' && activity.discussionId !== null
        ? await api.replyToDiscussion(address, activity.discussionId, processingNote)
        : await api.createNote(address, processingNote);
    const log = this.#deps.logger.child({
      deliveryId: delivery.id,
      triggerId: trigger.id,
      project: noteable.projectPath,
    });
    try {
      const prepared = await this.#prepareRun(delivery, connection, activity, accepted, ack);
      // The note says "started" before the run can be claimed: an executor that finishes fast
      // edits this same note into the final answer, and must never be overwritten by it.
      const runId = newRunId();
      await api.updateNote(address, ack.id, startedNote(this.#deps.runLink(runId)));
      await this.#deps.runs.createQueued(prepared.run, prepared.reason, runId);
      this.#deps.onRunQueued?.();
      await this.#record(
        delivery,
        trigger.id,
        account.username,
        'accepted',
        `run ${runId} queued`,
        candidate.eventType,
        runId,
      );
      return `run ${runId} queued`;
    } catch (error) {
      const reason =
        error instanceof StartError ? error.message : 'an internal error occurred; see Baton’s log';
      if (!(error instanceof StartError)) log.error({ err: error }, 'could not start a run');
      await api.updateNote(address, ack.id, couldNotStartNote(reason));
      await this.#record(
        delivery,
        trigger.id,
        account.username,
        'accepted',
        `could not start: ${reason}`,
        candidate.eventType,
      );
      return `could not start: ${reason}`;
    }
  }

  async #prepareRun(
    delivery: Delivery,
    connection: ForgeConnection,
    activity: ForgeActivity,
    { trigger, candidate }: Accepted,
    ack: { id: number; discussionId: string },
  ): Promise<{ run: NewRun; reason: string }> {
    const api = this.#deps.registry.api(candidate.account);
    const { noteable } = activity;
    const project = await api.getProject(noteable.projectId);
    const flow = await resolveFlow({
      source: trigger.flow,
      api,
      projectId: project.id,
      defaultBranch: project.defaultBranch,
      catalog: this.#deps.catalog,
    });
    if (!flow.ok) throw new StartError(flow.error);
    const [serviceAccount, requester] = await Promise.all([
      accountOf(api, candidate.account),
      api.getAccount(activity.actor.id),
    ]);
    const context = await buildFlowContext({
      api,
      baseUrl: connection.baseUrl,
      project,
      noteable,
      eventType: candidate.eventType,
      comment: activity.kind === 'comment' ? activity.body : null,
      discussionId: ack.discussionId,
      serviceAccount,
      requester,
    });
    return {
      run: {
        connectionId: connection.id,
        triggerId: trigger.id,
        deliveryId: delivery.id,
        serviceAccountId: candidate.account.id,
        eventType: candidate.eventType,
        projectId: project.id,
        projectPath: project.pathWithNamespace,
        noteable:
          noteable.type === 'issue'
            ? { type: 'issue', id: noteable.id, iid: noteable.iid }
            : {
                type: 'merge_request',
                id: noteable.id,
                iid: noteable.iid,
                sourceBranch: noteable.sourceBranch,
                targetBranch: noteable.targetBranch,
              },
        discussionId: ack.discussionId,
        ackNoteId: ack.id,
        requestedBy: {
          id: requester.id,
          username: requester.username,
          name: requester.name,
          email: context.environment.GIT_COMMITTER_EMAIL ?? '',
        },
        flowSource: flow.source,
        flow: flow.flow,
        environment: context.environment,
      },
      reason: `${candidate.eventType} by @${activity.actor.username}`,
    };
  }

  async #record(
    delivery: Delivery,
    triggerId: number | null,
    serviceAccount: string | null,
    decision: 'accepted' | 'refused' | 'ignored',
    reason: string,
    eventType: string | null = null,
    runId: string | null = null,
  ): Promise<void> {
    await this.#deps.deliveries.record({
      deliveryId: delivery.id,
      triggerId,
      serviceAccount,
      eventType,
      decision,
      reason,
      runId,
    });
    if (decision === 'refused') {
      this.#deps.logger.info(
        { deliveryId: delivery.id, triggerId, serviceAccount, eventType, reason },
        'trigger refused',
      );
    }
  }
}

/** A reason a run could not start that the person who asked can act on. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

async function accountOf(api: ForgeApi, account: ServiceAccount) {
  const live = await api.getAccount(account.forgeUserId);
  return { ...live, email: account.email ?? live.email };
}
