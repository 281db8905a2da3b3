import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { TriggerStore, type NewTrigger } from './trigger-store.ts';

describeEachDatabase('TriggerStore: rules on the mention path', (getDatabase) => {
  const ttlMs = 1000;
  let clock: { now: number };
  /** This process's store, and another Baton process's on the same database. */
  let here: TriggerStore;
  let elsewhere: TriggerStore;
  let rule: NewTrigger;

  beforeEach(async () => {
    const { db } = getDatabase();
    const connections = new ConnectionStore(db, new SecretBox(randomBytes(32)));
    await connections.upsertConnection({
      id: 'gl',
      baseUrl: 'https://gitlab.example.com',
      webhookSecret: 's',
    });
    const accountId = await connections.upsertServiceAccount({
      connectionId: 'gl',
      username: 'claude-agent',
      forgeUserId: 7,
      name: 'Claude',
      email: null,
      token: 't',
    });
    clock = { now: 0 };
    here = new TriggerStore(db, { snapshotTtlMs: ttlMs, now: () => clock.now });
    elsewhere = new TriggerStore(db, { snapshotTtlMs: ttlMs, now: () => clock.now });
    rule = {
      connectionId: 'gl',
      scope: { type: 'group', path: 'Demo' },
      description: 'Claude on mention',
      eventTypes: ['mention'],
      serviceAccountId: accountId,
      active: true,
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/claude.yaml' },
    };
  });

  const mention = (store: TriggerStore, projectPath = 'demo/app') =>
    store.matching({
      connectionId: 'gl',
      serviceAccountId: rule.serviceAccountId,
      eventType: 'mention',
      projectPath,
    });

  it('matches by connection, account, event and scope, as the database would', async () => {
    const created = await here.create(rule);
    await here.create({ ...rule, eventTypes: ['assign'] });
    await here.create({ ...rule, scope: { type: 'project', path: 'other/app' } });
    expect((await mention(here)).map((t) => t.id)).toEqual([created.id]);
    expect(await mention(here, 'demo')).toEqual([]);
    expect(
      await here.matching({
        connectionId: 'other',
        serviceAccountId: rule.serviceAccountId,
        eventType: 'mention',
        projectPath: 'demo/app',
      }),
    ).toEqual([]);
  });

  it('sees its own new, changed and removed rules at once', async () => {
    expect(await mention(here)).toEqual([]);
    const created = await here.create(rule);
    expect(await mention(here)).toMatchObject([{ id: created.id, active: true }]);
    await here.update(created.id, { ...rule, active: false });
    expect(await mention(here)).toMatchObject([{ id: created.id, active: false }]);
    await here.remove(created.id);
    expect(await mention(here)).toEqual([]);
  });

  it('sees another process’s change within the TTL, never later', async () => {
    expect(await mention(here)).toEqual([]);
    const created = await elsewhere.create(rule);
    clock.now = ttlMs - 1;
    // Still the snapshot read at 0: the staleness this process accepts.
    expect(await mention(here)).toEqual([]);
    clock.now = ttlMs;
    expect(await mention(here)).toMatchObject([{ id: created.id, active: true }]);

    await elsewhere.update(created.id, { ...rule, active: false });
    clock.now = 2 * ttlMs;
    expect(await mention(here)).toMatchObject([{ id: created.id, active: false }]);
    await elsewhere.remove(created.id);
    clock.now = 3 * ttlMs;
    expect(await mention(here)).toEqual([]);
  });
});
