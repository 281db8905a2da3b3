import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { AppError } from '../errors/app-error.ts';
import { SecretBox } from './secret-box.ts';
import { VariableStore } from './variable-store.ts';

describeEachDatabase('variable store', (getDatabase) => {
  async function store() {
    const database = getDatabase();
    await database.db
      .insertInto('forge_connections')
      .values({ id: 'c', kind: 'gitlab', base_url: 'http://127.0.0.1:1', webhook_secret: 'x' })
      .execute();
    return { database, variables: new VariableStore(database.db, new SecretBox(randomBytes(32))) };
  }

  it('resolves the project’s value over its group’s, and reports missing keys', async () => {
    const { variables } = await store();
    await variables.set({
      connectionId: 'c',
      scope: { type: 'group', path: 'demo' },
      key: 'TOKEN',
      value: 'group-value-1',
    });
    await variables.set({
      connectionId: 'c',
      scope: { type: 'project', path: 'demo/app' },
      key: 'TOKEN',
      value: 'project-value-1',
    });
    await variables.set({
      connectionId: 'c',
      scope: { type: 'group', path: 'demo' },
      key: 'HOST',
      value: 'gitlab',
      masked: false,
    });
    const resolved = await variables.resolve('c', 'demo/app', ['TOKEN', 'HOST', 'NOPE']);
    expect(resolved).toEqual({
      values: { TOKEN: 'project-value-1', HOST: 'gitlab' },
      secrets: ['project-value-1'],
      missing: ['NOPE'],
    });
    expect((await variables.resolve('c', 'demo/other', ['TOKEN'])).values).toEqual({
      TOKEN: 'group-value-1',
    });
  });

  it('keeps values sealed at rest and out of listings', async () => {
    const { variables, database } = await store();
    await variables.set({
      connectionId: 'c',
      scope: { type: 'project', path: 'demo/app' },
      key: 'API_KEY',
      value: 'sk-very-secret',
    });
    const row = await database.db.selectFrom('variables').select('value').executeTakeFirstOrThrow();
    expect(row.value).not.toContain('sk-very-secret');
    expect(JSON.stringify(await variables.list())).not.toContain('sk-very-secret');
  });

  it.each([
    [{ key: '1BAD', value: 'long-enough' }, 'may contain only letters'],
    [{ key: 'BIG', value: 'x'.repeat(128 * 1024 + 1), masked: false }, 'the limit is 128 KiB'],
    [{ key: 'SHORT', value: 'abc' }, 'at least 8 characters'],
    [{ key: 'LINES', value: 'line one\nline two' }, 'single line'],
  ])('refuses %o', async (input, message) => {
    const { variables } = await store();
    const attempt = variables.set({
      connectionId: 'c',
      scope: { type: 'project', path: 'demo/app' },
      ...input,
    });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toThrow(message);
  });
});
