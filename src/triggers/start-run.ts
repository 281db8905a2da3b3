import { agentConfigPath, parseAgentConfig } from '../flows/agent-config.ts';
import type { CatalogStore } from '../flows/catalog-store.ts';
import { resolveFlow } from '../flows/resolve-flow.ts';
import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ForgeConnection, ServiceAccount } from '../forges/connection-store.ts';
import type { ForgeActivity } from '../forges/forge-activity.ts';
import type { ForgeAccount, ForgeApi, NoteableAddress } from '../forges/forge.ts';
import type { Delivery, DeliveryStore } from '../intake/delivery-store.ts';
import type { Logger } from '../logging/logger.ts';
import { buildFlowContext } from '../runs/build-flow-context.ts';
import { newRunId, type NewRun, type RunStore } from '../runs/run-store.ts';
import type { RunQueue } from '../runs/run-queue.ts';
import { couldNotStartNote, startedNote, waitingNote } from './acknowledgement-notes.ts';
import { ExpiringCache } from './expiring-cache.ts';
import type { Trigger, TriggerEventType, TriggerStore } from './trigger-store.ts';

/** The queue event of a start job (never a GitLab event name, so no webhook can forge one). */
export const startJobEvent = 'Baton Start';

/** An acknowledged trigger whose run is still to be prepared. */
export interface StartJob {
  sourceDeliveryId: string;
  triggerId: number;
  serviceAccountId: number;
  eventType: TriggerEventType;
  activity: ForgeActivity;
  ack: { id: number; discussionId: string };
  /** The author's account as the acknowledging job saw it; read again when absent. */
  requester?: ForgeAccount;
}

/** How long a service account's own forge account (name, e-mail) is kept between runs. */
export const serviceAccountTtlMs = 60_000;

export interface RunStarterDeps {
  registry: ConnectionRegistry;
  triggers: TriggerStore;
  catalog: CatalogStore;
  deliveries: DeliveryStore;
  runs: RunStore;
  queue: RunQueue;
  runLink: (runId: string) => string;
  onRunQueued?: () => void;
  logger: Logger;
}

/** The project's `agent-config.yml` network policy; a broken file stops the run with its error. */
function agentConfigOf(text: string | null) {
  if (text === null) return { networkPolicy: null, notes: [] };
  const config = parseAgentConfig(text);
  if (!config.ok) throw new StartError(config.error);
  return config;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A read's outcome, to be looked at in the order that matters rather than the one it ended in. */
function settle<T>(read: Promise<T>): Promise<Settled<T>> {
  return read.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function valueOf<T>(settled: Settled<T>): T {
  if (!settled.ok) throw settled.error;
  return settled.value;
}

/** A reason a run could not start that the person who asked can act on. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/**
 * Second half of a trigger: resolves the flow, computes the context, queues the run and edits
 * the processing note into "started" (with the run's link) or "could not start" (with why).
 */
export class RunStarter {
  readonly #deps: RunStarterDeps;
  readonly #serviceAccounts = new ExpiringCache<ForgeAccount>({ ttlMs: serviceAccountTtlMs });

  constructor(deps: RunStarterDeps) {
    this.#deps = deps;
  }

  async process(delivery: Delivery): Promise<string> {
    const job = delivery.payload as unknown as StartJob;
    const { registry } = this.#deps;
    const connection = registry.get(delivery.connectionId);
    const account = registry.serviceAccountById(job.serviceAccountId);
    // As the acknowledging job matched it, moments ago (and no older than the snapshot's TTL).
    const trigger = await this.#deps.triggers.find(job.triggerId);
    if (!connection || !account) return 'connection or service account removed';
    const api = registry.api(account);
    const { noteable } = job.activity;
    const address: NoteableAddress = {
      type: noteable.type,
      projectId: noteable.projectId,
      iid: noteable.iid,
    };
    // Written by the worker with this job's outcome, in one statement.
    const record = (reason: string, runId: string | null = null) => {
      delivery.writes.decide({
        deliveryId: job.sourceDeliveryId,
        triggerId: job.triggerId,
        serviceAccount: account.username,
        eventType: job.eventType,
        decision: 'accepted',
        reason,
        runId,
      });
    };
    try {
      if (!trigger) throw new StartError('the trigger was deleted');
      const prepared = await this.#prepareRun(connection, account, api, trigger, job);
      // "Started" is written before the run can be claimed: an executor that finishes fast edits
      // this same note into the final answer, and must never be overwritten by it.
      const runId = newRunId();
      // One run per thread at a time: a later request says that it waits, and for how many.
      const ahead = (
        await this.#deps.queue.onNoteable({
          connectionId: connection.id,
          projectId: noteable.projectId,
          type: noteable.type,
          iid: noteable.iid,
        })
      ).length;
      const link = this.#deps.runLink(runId);
      await api.updateNote(
        address,
        job.ack.id,
        ahead > 0 ? waitingNote(link, ahead) : startedNote(link),
      );
      await this.#deps.runs.createQueued(
        prepared,
        `${job.eventType} by @${job.activity.actor.username}`,
        runId,
      );
      record(`run ${runId} queued`, runId);
      // The scheduler is woken once the decision is committed: the decision row's key on the run
      // would make a claim while it is being written skip the run (SKIP LOCKED) until the poll.
      const onRunQueued = this.#deps.onRunQueued;
      if (onRunQueued) delivery.writes.afterCommit(onRunQueued);
      return `run ${runId} queued`;
    } catch (error) {
      const reason =
        error instanceof StartError ? error.message : 'an internal error occurred; see Baton’s log';
      if (!(error instanceof StartError)) {
        this.#deps.logger.error(
          { err: error, deliveryId: job.sourceDeliveryId },
          'could not start a run',
        );
      }
      await api.updateNote(address, job.ack.id, couldNotStartNote(reason));
      record(`could not start: ${reason}`);
      return `could not start: ${reason}`;
    }
  }

  async #prepareRun(
    connection: ForgeConnection,
    account: ServiceAccount,
    api: ForgeApi,
    trigger: Trigger,
    job: StartJob,
  ): Promise<NewRun> {
    const { activity } = job;
    const { noteable } = activity;
    const project = await api.getProject(noteable.projectId);
    // Every read that needs only the project at once: against a real GitLab each is a round
    // trip of tens of milliseconds.
    const serviceAccountRead = this.#serviceAccounts
      .get(`${account.connectionId}:${account.forgeUserId}`, () =>
        api.getAccount(account.forgeUserId),
      )
      .then((live) => ({ ...live, email: account.email ?? live.email }));
    const requesterRead = Promise.resolve(job.requester ?? api.getAccount(activity.actor.id));
    const contextRead = buildFlowContext({
      api,
      baseUrl: connection.baseUrl,
      project,
      noteable,
      eventType: job.eventType,
      comment: activity.kind === 'comment' ? activity.body : null,
      discussionId: job.ack.discussionId,
      serviceAccount: serviceAccountRead,
      requester: requesterRead,
    });
    const [flow, requester, agentConfigText, context] = await Promise.all([
      resolveFlow({
        source: trigger.flow,
        api,
        projectId: project.id,
        defaultBranch: project.defaultBranch,
        catalog: this.#deps.catalog,
      }),
      settle(requesterRead),
      settle(
        project.defaultBranch === null
          ? Promise.resolve(null)
          : api.readFile(project.id, agentConfigPath, project.defaultBranch),
      ),
      settle(contextRead),
    ]);
    // What the person who asked can act on first (the flow file, then agent-config.yml); a
    // failed forge read after them.
    if (!flow.ok) throw new StartError(flow.error);
    const agentConfig = agentConfigOf(valueOf(agentConfigText));
    const { environment, fullContext } = valueOf(context);
    const { id, username, name } = valueOf(requester);
    return {
      connectionId: connection.id,
      triggerId: trigger.id,
      deliveryId: job.sourceDeliveryId,
      serviceAccountId: account.id,
      eventType: job.eventType,
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
      discussionId: job.ack.discussionId,
      ackNoteId: job.ack.id,
      requestedBy: { id, username, name, email: environment.GIT_COMMITTER_EMAIL ?? '' },
      flowSource: flow.source,
      flow: flow.flow,
      environment,
      fullContext,
      networkPolicy: agentConfig.networkPolicy,
      pushToSourceBranch: trigger.pushToSourceBranch && noteable.type === 'merge_request',
    };
  }
}
