import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { FeatureFlags } from './feature-flags.ts';

describeEachDatabase('FeatureFlags: settings on the mention path', (getDatabase) => {
  const ttlMs = 1000;
  let clock: { now: number };
  let here: FeatureFlags;
  let elsewhere: FeatureFlags;

  beforeEach(async () => {
    const { db } = getDatabase();
    const connections = new ConnectionStore(db, new SecretBox(randomBytes(32)));
    for (const id of ['gl', 'other'])
      await connections.upsertConnection({
        id,
        baseUrl: 'https://gitlab.example.com',
        webhookSecret: id,
      });
    clock = { now: 0 };
    here = new FeatureFlags(db, { snapshotTtlMs: ttlMs, now: () => clock.now });
    elsewhere = new FeatureFlags(db, { snapshotTtlMs: ttlMs, now: () => clock.now });
  });

  const triggers = (flags: FeatureFlags, project = 'Demo/Team/App') =>
    flags.isEnabled('ai_flow_triggers', 'gl', project);

  it('lets the most specific setting win: project, nearest group, instance, default', async () => {
    expect(await triggers(here)).toEqual({ enabled: true, decidedBy: 'default' });
    await here.set({ name: 'ai_flow_triggers', scope: { type: 'instance' }, enabled: false });
    expect(await triggers(here)).toEqual({ enabled: false, decidedBy: 'instance' });
    await here.set({
      name: 'ai_flow_triggers',
      scope: { type: 'group', connectionId: 'gl', path: 'demo' },
      enabled: true,
    });
    await here.set({
      name: 'ai_flow_triggers',
      scope: { type: 'group', connectionId: 'gl', path: 'demo/team' },
      enabled: false,
    });
    expect(await triggers(here)).toEqual({ enabled: false, decidedBy: 'group demo/team' });
    await here.set({
      name: 'ai_flow_triggers',
      scope: { type: 'project', connectionId: 'gl', path: 'demo/team/app' },
      enabled: true,
    });
    expect(await triggers(here)).toEqual({ enabled: true, decidedBy: 'project demo/team/app' });
    // Another connection's settings and another flag's do not count.
    await here.set({
      name: 'ai_flow_triggers',
      scope: { type: 'project', connectionId: 'other', path: 'demo/other' },
      enabled: false,
    });
    await here.set({
      name: 'ai_catalog_third_party_flows',
      scope: { type: 'project', connectionId: 'gl', path: 'demo/other' },
      enabled: false,
    });
    expect(await triggers(here, 'demo/other')).toEqual({ enabled: true, decidedBy: 'group demo' });
  });

  it('sees its own change at once', async () => {
    const scope = { type: 'group', connectionId: 'gl', path: 'demo' } as const;
    expect((await triggers(here)).enabled).toBe(true);
    await here.set({ name: 'ai_flow_triggers', scope, enabled: false });
    expect((await triggers(here)).enabled).toBe(false);
    await here.unset('ai_flow_triggers', scope);
    expect((await triggers(here)).enabled).toBe(true);
  });

  it('sees another process’s change within the TTL, never later', async () => {
    const scope = { type: 'group', connectionId: 'gl', path: 'demo' } as const;
    expect((await triggers(here)).enabled).toBe(true);
    await elsewhere.set({ name: 'ai_flow_triggers', scope, enabled: false });
    clock.now = ttlMs - 1;
    expect((await triggers(here)).enabled).toBe(true);
    clock.now = ttlMs;
    expect(await triggers(here)).toEqual({ enabled: false, decidedBy: 'group demo' });
    await elsewhere.unset('ai_flow_triggers', scope);
    clock.now = 2 * ttlMs;
    expect((await triggers(here)).enabled).toBe(true);
  });
});
