import path from 'node:path';
import type { GatewayAccess } from '../agents/agent-profile.ts';
import { isAppError } from '../errors/app-error.ts';
import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ForgeApi } from '../forges/forge.ts';
import type { Logger } from '../logging/logger.ts';
import type { ModelGateway, RunUsage } from '../gateway/model-gateway.ts';
import type { ForwardedPort, Sandbox, SandboxLimits, SandboxResult } from '../sandbox/sandbox.ts';
import type { VariableStore } from '../secrets/variable-store.ts';
import { finalNote, type FinalNote, type RunOutcome as NoteOutcome } from './publish/final-note.ts';
import { postFinalNote } from './publish/post-final-note.ts';
import { isPublishError } from './publish/publish-error.ts';
import {
  commitIdentityFromEnvironment,
  publishRun,
  type PublishResult,
} from './publish/publish-run.ts';
import { prepareRun, sandboxApiPort, type PreparedRun } from './prepare-run.ts';
import { outcomeOfStoppedFlow } from './outcome-of-stopped-flow.ts';
import { closeRunGateway, grantRunGateway } from './run-gateway.ts';
import { runAgent, type AgentSupport } from './run-agent.ts';
import { runCommands } from './run-commands.ts';
import { RunStop } from './run-stop.ts';
import { describeAction, followRunInThread, type ThreadProgress } from './thread-progress.ts';
import type { RunEvents } from './run-events.ts';
import type { RunLogStore } from './run-log.ts';
import type { RunQueue } from './run-queue.ts';
import type { Run, RunStore } from './run-store.ts';
import { removeWorkspace, type Workspace } from './workspace/create-workspace.ts';
import type { MirrorCache } from './workspace/mirror-cache.ts';

export interface RunExecutorDeps {
  runs: RunStore;
  queue: RunQueue;
  registry: ConnectionRegistry;
  variables: VariableStore;
  sandbox: Sandbox;
  mirrors: MirrorCache;
  logs: RunLogStore;
  events: RunEvents;
  /** Where workspaces live: `<dir>/<run id>/`. */
  workspacesDir: string;
  limits: SandboxLimits;
  /** Baton's own HTTP port on this host, once listening; forwarded into every sandbox. */
  apiPort: () => number | null;
  /** The run page's absolute URL, with its view token. */
  runLink: (runId: string) => string;
  gateway: ModelGateway;
  /** The agent profiles and tool cache; without them native flows fail with a clear note. */
  agents?: AgentSupport;
  /** Least time between two edits of a run's checklist note in its thread (default 15 s). */
  noteUpdateMs?: number;
  logger: Logger;
}

/** What a flow left behind when its sandbox ended. */
interface FlowRun {
  result: SandboxResult;
  /** The agent's final message (native flows). */
  answer: string | null;
  /** The agent reported failure although its process may have exited 0. */
  failure: string | null;
}

interface Active {
  cancel: (by: string | null) => Promise<void>;
}

/**
 * Executes one claimed run end to end: workspace from the project's mirror, the flow's
 * commands in the sandbox with their output logged (redacted) and turned into progress, then
 * publishing and exactly one final note. Every outcome goes through `#finish`.
 */
export class RunExecutor {
  readonly #deps: RunExecutorDeps;
  readonly #active = new Map<string, Active>();
  #refusal: string | null = null;

  constructor(deps: RunExecutorDeps) {
    this.#deps = deps;
  }

  /**
   * After a failed sandbox probe: every run fails at once with this reason, in its thread.
   * Never a silent fallback to running unsandboxed.
   */
  refuseRuns(reason: string | null): void {
    this.#refusal = reason;
  }

  activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  /** Cancels a run this process is executing; false when it is not here. */
  async cancelHere(runId: string, by: string | null): Promise<boolean> {
    const active = this.#active.get(runId);
    if (!active) return false;
    await active.cancel(by);
    return true;
  }

  async execute(runId: string): Promise<void> {
    const run = await this.#deps.runs.get(runId);
    if (!run) return;
    const started = Date.now();
    const log = this.#deps.logger.child({ runId, project: run.projectPath });
    const account = this.#deps.registry.serviceAccountById(run.serviceAccountId);
    const connection = this.#deps.registry.get(run.connectionId);
    const secrets = [account?.token ?? '', connection?.webhookSecret ?? ''].filter((s) => s !== '');
    let cancelledBy: string | null | undefined;
    let sandboxCancel: (() => Promise<void>) | undefined;
    this.#active.set(runId, {
      cancel: async (by) => {
        cancelledBy = by;
        await sandboxCancel?.();
      },
    });
    const thread = followRunInThread(this.#deps, run, {
      secrets,
      logger: log,
      intervalMs: this.#deps.noteUpdateMs ?? 15_000,
    });
    let workspace: Workspace | undefined;
    let granted = false;
    let outcome: NoteOutcome;
    try {
      if (!account || !connection)
        throw new RunStop(
          {
            kind: 'failed',
            step: 'workspace',
            message: 'The service account or GitLab connection of this run was removed.',
          },
          'account removed',
        );
      if (this.#refusal !== null) {
        throw new RunStop(
          { kind: 'failed', step: 'sandbox', message: this.#refusal },
          'sandbox unavailable',
        );
      }
      const api = this.#deps.registry.api(account);
      const prepared = await prepareRun(this.#deps, { run, api, token: account.token, secrets });
      workspace = prepared.workspace;
      const gateway = await grantRunGateway(this.#deps, run, prepared);
      granted = gateway !== null;
      if (!(await this.#deps.queue.transition(runId, 'preparing', 'running', 'flow started'))) {
        throw new RunStop(
          { kind: 'cancelled', by: cancelledBy ?? null },
          'cancelled while preparing',
        );
      }
      this.#publishStatus(runId, 'preparing', 'running', 'flow started');
      const onStarted = (cancel: () => Promise<void>) => {
        sandboxCancel = cancel;
        // Cancelled while the sandbox was starting: stop it now.
        if (cancelledBy !== undefined) void cancel();
      };
      const ran = await this.#runFlow(run, prepared, gateway, onStarted, thread?.progress ?? null);
      outcome = await this.#afterFlow(run, api, account.token, prepared, ran, cancelledBy);
    } catch (error) {
      outcome = this.#failure(error, log, cancelledBy);
    } finally {
      this.#active.delete(runId);
    }
    const usage = granted ? await closeRunGateway(this.#deps.gateway, run.id, log) : null;
    if (usage?.budgetExceeded && outcome.kind !== 'cancelled' && outcome.kind !== 'timed_out') {
      outcome = { kind: 'failed', step: 'agent', message: usage.budgetExceeded };
    }
    // An answer is a new reply, so the checklist note stays beside it: show it finished. Any
    // other outcome replaces the note with the final answer.
    await thread?.close(outcome.kind === 'published' && outcome.result.kind === 'no_changes');
    await this.#finish(run, outcome, Date.now() - started, secrets, log, undefined, usage);
    if (workspace)
      await removeWorkspace(workspace).catch((error: unknown) => {
        log.warn({ err: error }, 'could not remove workspace');
      });
  }

  async #runFlow(
    run: Run,
    prepared: PreparedRun,
    gateway: GatewayAccess | null,
    onStarted: (cancel: () => Promise<void>) => void,
    thread: ThreadProgress | null,
  ): Promise<FlowRun> {
    const { flow } = run;
    const forwards = this.#apiForward();
    if (flow.format === 'gitlab') {
      const result = await runCommands(this.#deps, {
        run,
        flow,
        workspace: prepared.workspace,
        env: prepared.env,
        forwards,
        secrets: prepared.secrets,
        onStarted,
      });
      return { result, answer: null, failure: null };
    }
    if (gateway === null) throw new Error('native flows always get a gateway token');
    const { agents } = this.#deps;
    if (agents === undefined) {
      throw new RunStop(
        {
          kind: 'failed',
          step: 'agent',
          message: `This Baton has no agent profiles configured, so \`agent: ${flow.agent}\` cannot run.`,
        },
        'no agent profiles',
      );
    }
    const ran = await runAgent(
      { ...this.#deps, agents },
      {
        run,
        flow,
        workspace: prepared.workspace,
        env: prepared.env,
        variables: prepared.variables,
        gateway,
        forwards,
        secrets: prepared.secrets,
        onStarted,
        onEvent: (event) => {
          if (
            event.type === 'tool_call' ||
            event.type === 'file_change' ||
            event.type === 'command'
          )
            thread?.action(describeAction(event));
        },
      },
    );
    return {
      result: ran.result,
      answer: ran.answer,
      failure: ran.failure,
    };
  }

  async #afterFlow(
    run: Run,
    api: ForgeApi,
    token: string,
    prepared: PreparedRun,
    ran: FlowRun,
    cancelledBy: string | null | undefined,
  ): Promise<NoteOutcome> {
    const tail = async () =>
      (await this.#deps.logs.tail(run.id, 8192)).entries
        .map((e) => e.text.trimEnd())
        .filter((t) => t !== '')
        .slice(-20);
    const stopped = outcomeOfStoppedFlow(ran.result, this.#deps.limits, cancelledBy);
    if (stopped?.kind === 'failed' || stopped?.kind === 'timed_out') {
      return {
        ...stopped,
        ...(ran.failure === null ? {} : { message: ran.failure }),
        logTail: await tail(),
      };
    }
    if (stopped) return stopped;
    if (ran.failure !== null) {
      return { kind: 'failed', step: 'agent', message: ran.failure, logTail: await tail() };
    }
    if (!(await this.#deps.queue.transition(run.id, 'running', 'publishing', 'flow exited 0'))) {
      return { kind: 'cancelled', by: cancelledBy ?? null };
    }
    this.#publishStatus(run.id, 'running', 'publishing', 'flow exited 0');
    await this.#deps.logs.progress(run.id, {
      id: 'publish',
      title: 'Publish the changes',
      state: 'active',
    });
    const published: PublishResult = await publishRun({
      workspace: prepared.workspace,
      git: this.#deps.mirrors.git,
      api,
      token,
      projectId: run.projectId,
      noteable: { type: run.noteable.type, iid: run.noteable.iid },
      identity: commitIdentityFromEnvironment(prepared.env),
      summary: ran.answer,
      secrets: prepared.secrets,
      requestedBy: run.requestedBy.username,
      pushToSourceBranch: run.pushToSourceBranch,
      logger: this.#deps.logger,
    });
    await this.#deps.logs.progress(run.id, {
      id: 'publish',
      title: 'Publish the changes',
      state: 'done',
    });
    return { kind: 'published', result: published, answer: ran.answer };
  }

  #failure(error: unknown, log: Logger, cancelledBy: string | null | undefined): NoteOutcome {
    if (cancelledBy !== undefined) return { kind: 'cancelled', by: cancelledBy };
    if (error instanceof RunStop) return error.outcome;
    if (isPublishError(error)) return { kind: 'failed', step: error.step, message: error.message };
    log.error({ err: error }, 'run failed');
    const message = isAppError(error) ? error.message : null;
    return { kind: 'failed', step: 'workspace', message };
  }

  /**
   * Ends a run this process is not executing (queued and cancelled, or left behind by a process
   * that died) with its one final note. False when the run was no longer in `from`.
   */
  async conclude(
    runId: string,
    from: readonly Run['status'][],
    outcome: NoteOutcome,
  ): Promise<boolean> {
    const run = await this.#deps.runs.get(runId);
    if (!run) return false;
    const account = this.#deps.registry.serviceAccountById(run.serviceAccountId);
    const secrets = account ? [account.token] : [];
    const log = this.#deps.logger.child({ runId, project: run.projectPath });
    const finished = await this.#finish(
      run,
      outcome,
      Date.now() - run.createdAt.getTime(),
      secrets,
      log,
      from,
    );
    // A run recovered after its process died may have left its workspace behind.
    if (finished) await removeWorkspace({ runDir: path.join(this.#deps.workspacesDir, runId) });
    return finished;
  }

  async #finish(
    run: Run,
    outcome: NoteOutcome,
    durationMs: number,
    secrets: string[],
    log: Logger,
    from: readonly Run['status'][] = ['preparing', 'running', 'publishing'],
    usage: RunUsage | null = null,
  ): Promise<boolean> {
    const status = outcome.kind === 'published' ? 'succeeded' : outcome.kind;
    const note = finalNote({
      runId: run.id,
      outcome,
      durationMs,
      usage: usage !== null && usage.calls > 0 ? usage : null,
      runUrl: this.#deps.runLink(run.id),
      secrets,
    });
    const reason = outcome.kind === 'failed' ? `failed while ${outcome.step}` : status;
    const moved = await this.#deps.queue.transition(run.id, from, status, reason, {
      failure: outcome.kind === 'failed' ? (outcome.message ?? `step ${outcome.step}`) : null,
      result: outcome.kind === 'published' ? outcome.result : null,
    });
    if (!moved) return false;
    this.#publishStatus(run.id, null, status, reason);
    // The note first: `finished` on the log tells watchers the run is over, thread included.
    await this.#postFinalNote(run, note, log);
    await this.#deps.logs.finish(run.id, {
      outcome: status,
      ...(outcome.kind === 'published' && outcome.result.kind === 'merge_request'
        ? { resultUrl: outcome.result.url }
        : {}),
    });
    return true;
  }

  async #postFinalNote(run: Run, note: FinalNote, log: Logger): Promise<void> {
    const account = this.#deps.registry.serviceAccountById(run.serviceAccountId);
    if (!account) return;
    try {
      await postFinalNote(
        this.#deps.registry.api(account),
        {
          noteable: { type: run.noteable.type, projectId: run.projectId, iid: run.noteable.iid },
          ackNoteId: run.ackNoteId,
          discussionId: run.discussionId,
        },
        note,
      );
    } catch (error) {
      log.error({ err: error }, 'could not post the final note');
    }
  }

  /** Baton's API, reached from inside at `BATON_API_URL` through a per-run Unix socket. */
  #apiForward(): ForwardedPort[] {
    const port = this.#deps.apiPort();
    return port === null
      ? []
      : [{ name: 'baton-api', port: sandboxApiPort, target: { host: '127.0.0.1', port } }];
  }

  #publishStatus(
    runId: string,
    from: Run['status'] | null,
    to: Run['status'],
    reason: string,
  ): void {
    this.#deps.events.publish(runId, {
      type: 'status',
      from,
      to,
      reason,
      at: new Date().toISOString(),
    });
  }
}
