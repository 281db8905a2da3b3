import type { Migration } from 'kysely';
import { initialMigration } from './0001-initial.ts';
import { intakeAndTriggersMigration } from './0002-intake-and-triggers.ts';
import { variablesMigration } from './0003-variables.ts';
import { gatewayMigration } from './0004-gateway.ts';
import { gatewayChargedMigration } from './0005-gateway-charged.ts';

export interface NamedMigration {
  readonly name: string;
  readonly migration: Migration;
}

/**
 * Every migration this build knows, oldest first. A static list rather than a directory scan so
 * that it works the same under tsx and compiled, and so that a migration cannot be picked up or
 * lost by accident. Append only: never rename, reorder or remove an entry that has shipped.
 */
export const migrations: readonly NamedMigration[] = [
  { name: '0001-initial', migration: initialMigration },
  { name: '0002-intake-and-triggers', migration: intakeAndTriggersMigration },
  { name: '0003-variables', migration: variablesMigration },
  { name: '0004-gateway', migration: gatewayMigration },
  { name: '0005-gateway-charged', migration: gatewayChargedMigration },
];
