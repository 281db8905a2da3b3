import type { ColumnType, Generated } from 'kysely';

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * jsonb as both engines see it: parsed on the way out, and written as JSON text, because `pg`
 * would turn a JavaScript array into a Postgres array literal instead of JSON.
 */
export type JsonColumn = ColumnType<JsonValue, string, string>;

export interface SettingsTable {
  key: string;
  value: JsonColumn;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/**
 * Every table Baton owns, as Kysely sees it. Each migration that adds or changes a table updates
 * this interface in the same commit.
 */
export interface DatabaseSchema {
  settings: SettingsTable;
}

/** Re-exported so that later table definitions need only this module. */
export type { ColumnType, Generated };
