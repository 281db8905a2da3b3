import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, RunStatus, RunsTable } from '../db/schema.ts';
import type { FlowDefinition } from '../flows/flow-definition.ts';
import type { NetworkPolicy } from '../sandbox/sandbox.ts';

export interface RunRequester {
  id: number;
  username: string;
  name: string;
  email: string;
}

export interface NewRun {
  connectionId: string;
  triggerId: number | null;
  deliveryId: string | null;
  serviceAccountId: number;
  eventType: string;
  projectId: number;
  projectPath: string;
  noteable: {
    type: 'issue' | 'merge_request';
    id: number;
    iid: number;
    sourceBranch?: string | null;
    targetBranch?: string | null;
  };
  discussionId: string | null;
  ackNoteId: number | null;
  requestedBy: RunRequester;
  flowSource: string;
  flow: FlowDefinition;
  environment: Record<string, string>;
  /** Outbound network the flow may use (from agent-config.yml); null: none. */
  networkPolicy: NetworkPolicy | null;
  /** Asked from a merge request, by a trigger that says so: push there, open no new MR. */
  pushToSourceBranch?: boolean;
  /** The whole flow context, uncut, for a file the flow can read. */
  fullContext?: string;
}

export interface Run extends NewRun {
  fullContext: string;
  pushToSourceBranch: boolean;
  id: string;
  status: RunStatus;
  failure: string | null;
  createdAt: Date;
}

/** A run id is also a branch name (`workloads/<id>`): short, lower-case hex, like GitLab's. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

function toRun(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    status: row.status,
    connectionId: row.connection_id,
    triggerId: row.trigger_id,
    deliveryId: row.delivery_id,
    serviceAccountId: row.service_account_id,
    eventType: row.event_type,
    projectId: row.project_id,
    projectPath: row.project_path,
    noteable: row.noteable as unknown as NewRun['noteable'],
    discussionId: row.discussion_id,
    ackNoteId: row.ack_note_id,
    requestedBy: row.requested_by as unknown as RunRequester,
    flowSource: row.flow_source,
    flow: row.flow as unknown as FlowDefinition,
    environment: row.environment as Record<string, string>,
    networkPolicy: row.network_policy as NetworkPolicy | null,
    pushToSourceBranch: row.push_to_source_branch,
    fullContext: row.full_context,
    failure: row.failure,
    createdAt: row.created_at,
  };
}

/** Runs and their recorded state transitions. */
export class RunStore {
  readonly #db: Kysely<DatabaseSchema>;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  /** Creates a queued run and its first transition in one transaction. */
  async createQueued(run: NewRun, reason: string, id = newRunId()): Promise<Run> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('runs')
        .values({
          id,
          status: 'queued',
          connection_id: run.connectionId,
          trigger_id: run.triggerId,
          delivery_id: run.deliveryId,
          service_account_id: run.serviceAccountId,
          event_type: run.eventType,
          project_id: run.projectId,
          project_path: run.projectPath,
          noteable: JSON.stringify(run.noteable),
          discussion_id: run.discussionId,
          ack_note_id: run.ackNoteId,
          requested_by: JSON.stringify(run.requestedBy),
          flow_source: run.flowSource,
          flow: JSON.stringify(run.flow),
          environment: JSON.stringify(run.environment),
          network_policy: run.networkPolicy === null ? null : JSON.stringify(run.networkPolicy),
          push_to_source_branch: run.pushToSourceBranch ?? false,
          full_context: run.fullContext ?? '',
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('run_transitions')
        .values({ run_id: id, from_status: null, to_status: 'queued', reason })
        .execute();
      return toRun(row);
    });
  }

  async get(id: string): Promise<Run | undefined> {
    const row = await this.#db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<Run[]> {
    const rows = await this.#db
      .selectFrom('runs')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(options.limit ?? 50)
      .execute();
    return rows.map(toRun);
  }

  async transitions(
    id: string,
  ): Promise<{ from: RunStatus | null; to: RunStatus; reason: string; at: Date }[]> {
    const rows = await this.#db
      .selectFrom('run_transitions')
      .selectAll()
      .where('run_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ from: r.from_status, to: r.to_status, reason: r.reason, at: r.at }));
  }
}
