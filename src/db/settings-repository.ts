import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema, JsonValue } from './schema.ts';

/** Baton-wide settings as JSON values under string keys. */
export class SettingsRepository {
  readonly #db: Kysely<DatabaseSchema>;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  /** The stored value, or `undefined` when the key was never set. */
  async get(key: string): Promise<JsonValue | undefined> {
    const row = await this.#db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async set(key: string, value: JsonValue): Promise<void> {
    const json = JSON.stringify(value);
    await this.#db
      .insertInto('settings')
      .values({ key, value: json })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({ value: json, updated_at: sql<Date>`now()` }),
      )
      .execute();
  }
}
