import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import type { Database } from '../db/open-database.ts';
import { RunQueue } from './run-queue.ts';
import { RunStore, type NewRun } from './run-store.ts';

async function seed(database: Database): Promise<number> {
  await database.db
    .insertInto('forge_connections')
    .values({ id: 'c', kind: 'gitlab', base_url: 'http://127.0.0.1:1', webhook_secret: 'sealed' })
    .execute();
  const account = await database.db
    .insertInto('service_accounts')
    .values({
      connection_id: 'c',
      username: 'agent',
      forge_user_id: 9,
      name: 'Agent',
      email: null,
      token: 'sealed',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return account.id;
}

function run(accountId: number, projectId: number, iid: number): NewRun {
  return {
    connectionId: 'c',
    triggerId: null,
    deliveryId: null,
    serviceAccountId: accountId,
    eventType: 'mention',
    projectId,
    projectPath: `g/p${projectId}`,
    noteable: { type: 'issue', id: iid + 1000, iid },
    discussionId: null,
    ackNoteId: null,
    requestedBy: { id: 1, username: 'alice', name: 'Alice', email: 'a@x' },
    flowSource: 'test',
    flow: {
      format: 'gitlab',
      image: 'x',
      commands: ['true'],
      variables: [],
      injectGatewayToken: false,
      idTokens: {},
    },
    environment: {},
    networkPolicy: null,
  };
}

describeEachDatabase('run queue', (getDatabase) => {
  const limits = { global: 10, perProject: 10 };

  it('claims the oldest queued run and records the transition', async () => {
    const database = getDatabase();
    const account = await seed(database);
    const store = new RunStore(database.db);
    const first = await store.createQueued(run(account, 1, 1), 'test');
    await store.createQueued(run(account, 1, 2), 'test');
    const queue = new RunQueue(database.db);
    expect(await queue.claim('p1', limits)).toBe(first.id);
    expect((await store.get(first.id))?.status).toBe('preparing');
    expect((await store.transitions(first.id)).map((t) => `${t.from ?? ''}>${t.to}`)).toEqual([
      '>queued',
      'queued>preparing',
    ]);
  });

  it('keeps a later run on the same issue waiting while one is active', async () => {
    const database = getDatabase();
    const account = await seed(database);
    const store = new RunStore(database.db);
    const queue = new RunQueue(database.db);
    const a = await store.createQueued(run(account, 1, 7), 'test');
    const b = await store.createQueued(run(account, 1, 7), 'test');
    const other = await store.createQueued(run(account, 1, 8), 'test');
    expect(await queue.claim('p', limits)).toBe(a.id);
    expect(await queue.claim('p', limits)).toBe(other.id);
    expect(await queue.claim('p', limits)).toBeUndefined();
    await queue.transition(a.id, 'preparing', 'failed', 'test');
    expect(await queue.claim('p', limits)).toBe(b.id);
  });

  it('holds the global and per-project limits', async () => {
    const database = getDatabase();
    const account = await seed(database);
    const store = new RunStore(database.db);
    const queue = new RunQueue(database.db);
    for (const [project, iid] of [
      [1, 1],
      [1, 2],
      [2, 1],
      [3, 1],
    ] as const) {
      await store.createQueued(run(account, project, iid), 'test');
    }
    const claimed = [
      await queue.claim('p', { global: 2, perProject: 1 }),
      await queue.claim('p', { global: 2, perProject: 1 }),
      await queue.claim('p', { global: 2, perProject: 1 }),
    ];
    expect(claimed.filter((id) => id !== undefined)).toHaveLength(2);
    const active = await database.db
      .selectFrom('runs')
      .select('project_id')
      .where('status', '=', 'preparing')
      .execute();
    expect(active.map((r) => r.project_id).sort()).toEqual([1, 2]);
  });

  it('refuses a transition from a state the run is no longer in', async () => {
    const database = getDatabase();
    const account = await seed(database);
    const store = new RunStore(database.db);
    const queue = new RunQueue(database.db);
    const created = await store.createQueued(run(account, 1, 1), 'test');
    expect(await queue.transition(created.id, 'queued', 'cancelled', 'stopped by @alice')).toBe(
      true,
    );
    expect(await queue.transition(created.id, 'queued', 'preparing', 'late claim')).toBe(false);
    const final = await store.get(created.id);
    expect(final?.status).toBe('cancelled');
  });

  it('finds runs whose owner stopped sending heartbeats', async () => {
    const database = getDatabase();
    const account = await seed(database);
    const store = new RunStore(database.db);
    const queue = new RunQueue(database.db);
    const created = await store.createQueued(run(account, 1, 1), 'test');
    await queue.claim('dead-process', limits);
    expect(await queue.orphaned({ staleMs: 60_000 })).toEqual([]);
    expect(await queue.orphaned({ staleMs: 60_000, owner: 'dead-process' })).toEqual([
      { id: created.id, status: 'preparing' },
    ]);
    await database.db
      .updateTable('runs')
      .set({ heartbeat_at: new Date(Date.now() - 120_000) })
      .execute();
    expect(await queue.orphaned({ staleMs: 60_000 })).toEqual([
      { id: created.id, status: 'preparing' },
    ]);
  });
});
