import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import type { JsonValue } from './schema.ts';
import { SettingsRepository } from './settings-repository.ts';

describeEachDatabase('settings repository', (getDatabase) => {
  it('returns undefined for a key that was never set', async () => {
    const settings = new SettingsRepository(getDatabase().db);
    expect(await settings.get('never.set')).toBeUndefined();
  });

  it.each<[string, JsonValue]>([
    ['an object', { enabled: true, limits: { runs: 3 }, name: 'ünïcødé ✓' }],
    ['an array', [1, 'two', null, { three: 3 }]],
    ['a string', 'plain text'],
    ['a number', 42.5],
    ['a boolean', false],
    ['null', null],
  ])('round-trips %s', async (_label, value) => {
    const settings = new SettingsRepository(getDatabase().db);
    await settings.set('key', value);
    expect(await settings.get('key')).toEqual(value);
  });

  it('replaces the value and moves updated_at when a key is set again', async () => {
    const { db } = getDatabase();
    const settings = new SettingsRepository(db);
    await settings.set('flow.enabled', false);
    const first = await db.selectFrom('settings').select('updated_at').executeTakeFirstOrThrow();

    await settings.set('flow.enabled', { enabled: true });

    expect(await settings.get('flow.enabled')).toEqual({ enabled: true });
    const rows = await db.selectFrom('settings').select(['key', 'updated_at']).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.updated_at.getTime()).toBeGreaterThanOrEqual(first.updated_at.getTime());
  });
});
