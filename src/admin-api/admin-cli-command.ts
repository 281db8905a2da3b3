import type { ParseArgsConfig } from 'node:util';
import type { AdminApiClient } from './admin-api-client.ts';

export interface CliOutput {
  log(s: string): void;
  error(s: string): void;
}

/** Where secrets and files come from; injectable so tests need no real stdin or environment. */
export interface AdminCliIo {
  readEnv(name: string): string | undefined;
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
}

export interface CommandContext {
  client: AdminApiClient;
  out: CliOutput;
  io: AdminCliIo;
  /** Print the API's JSON instead of a table. */
  json: boolean;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface AdminCommand {
  /** `resource verb`, e.g. `triggers add`. */
  name: string;
  usage: string;
  positionals: number;
  options?: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext, positionals: string[], values: OptionValues): Promise<void>;
}

/** A mistake in how the command was called: exit code 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredOption(values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** `project:demo/app` → `{ type: 'project', path: 'demo/app' }`. */
export function parseScope(value: string): { type: 'project' | 'group'; path: string } {
  const match = /^(project|group):(.+)$/.exec(value);
  if (!match?.[1] || !match[2]) {
    throw new UsageError(`--scope must be project:PATH or group:PATH, not ${value}`);
  }
  return { type: match[1] as 'project' | 'group', path: match[2] };
}

/** Prints a single resource as JSON, or a list as a table (or JSON with --json); warnings go to stderr. */
export function printResult(ctx: CommandContext, value: unknown, table?: () => string): void {
  ctx.out.log(ctx.json || table === undefined ? JSON.stringify(value, null, 2) : table());
  const warnings = (value as { warnings?: unknown } | null)?.warnings;
  if (!ctx.json && Array.isArray(warnings)) {
    for (const warning of warnings) ctx.out.error(`warning: ${String(warning)}`);
  }
}
