import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { configSchema, registryVariables, type Config } from './config-schema.ts';

/**
 * Environment variables Baton reads, and the configuration key each one sets. This file is the
 * only place in src/ that reads process.env.
 */
export const environmentVariables = {
  BATON_HOST: 'server.host',
  BATON_PORT: 'server.port',
  BATON_PUBLIC_URL: 'server.publicUrl',
  BATON_BODY_LIMIT: 'server.bodyLimit',
  BATON_DATA_DIR: 'dataDir',
  DATABASE_URL: 'database.url',
  BATON_DATABASE_POOL_SIZE: 'database.poolSize',
  BATON_LOG_LEVEL: 'log.level',
  BATON_ADMIN_TOKEN: 'admin.token',
  BATON_SECRET_KEY: 'secrets.key',
  BATON_SANDBOX: 'runs.sandbox',
  BATON_MAX_CONCURRENT_RUNS: 'runs.maxConcurrent',
  BATON_MAX_CONCURRENT_RUNS_PER_PROJECT: 'runs.maxConcurrentPerProject',
  BATON_RUN_TIMEOUT_MINUTES: 'runs.timeoutMinutes',
  BATON_RUN_MEMORY_MB: 'runs.memoryMb',
  ANTHROPIC_API_KEY: 'gateway.providers.anthropic.apiKey',
  OPENAI_API_KEY: 'gateway.providers.openai.apiKey',
  GEMINI_API_KEY: 'gateway.providers.google.apiKey',
  BATON_ANTHROPIC_BASE_URL: 'gateway.providers.anthropic.baseUrl',
  BATON_OPENAI_BASE_URL: 'gateway.providers.openai.baseUrl',
  BATON_GEMINI_BASE_URL: 'gateway.providers.google.baseUrl',
  BATON_RUN_BUDGET_USD: 'gateway.runBudgetUsd',
  BATON_PROJECT_DAILY_BUDGET_USD: 'gateway.projectDailyBudgetUsd',
  BATON_TOOL_CACHE_DIR: 'agents.toolCacheDir',
  ...Object.fromEntries(
    registryVariables.map((name) => [name, `agents.registryEnvironment.${name}`]),
  ),
} as const;

type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  env?: Env;
  /** Path of a baton.yaml; defaults to $BATON_CONFIG, then ./baton.yaml when it exists. */
  file?: string;
  cwd?: string;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const fresh: Record<string, unknown> = {};
      node[key] = fresh;
      node = fresh;
    }
  }
  node[keys[keys.length - 1] ?? dotted] = value;
}

function readYaml(file: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new AppError('CONFIG_INVALID', `Cannot read configuration file ${file}`, {
      cause: error,
    });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    throw new AppError('CONFIG_INVALID', `Invalid YAML in ${file}: ${first.message}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('CONFIG_INVALID', `${file} must hold a mapping of configuration keys`);
  }
  return value as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue, sources: Map<string, string>): string {
  const key = issue.path.map(String).join('.') || '(root)';
  const keys =
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => (key === '(root)' ? k : `${key}.${k}`))
      : [];
  const source = sources.get(key);
  const where = source ? ` (from ${source})` : '';
  if (keys.length > 0) return `unknown key ${keys.join(', ')}${where}`;
  return `${key}${where}: ${issue.message}`;
}

/** The configuration file Baton reads (whether or not it exists). */
export function configFilePath(options: LoadConfigOptions = {}): string {
  const env = options.env ?? process.env;
  return path.resolve(
    options.cwd ?? process.cwd(),
    options.file ?? env.BATON_CONFIG ?? 'baton.yaml',
  );
}

/** Reads and validates the configuration once; every error names the bad key and its source. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.BATON_CONFIG;
  const file = configFilePath({ ...options, env, cwd });
  const raw = readYaml(file, explicit !== undefined);
  const sources = new Map<string, string>();
  for (const key of Object.keys(raw)) sources.set(key, file);

  for (const [name, key] of Object.entries(environmentVariables)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, key, value);
    sources.set(key, name);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, sources));
    throw new AppError('CONFIG_INVALID', `Invalid configuration: ${lines.join('; ')}`, {
      details: { issues: lines },
    });
  }
  const config = parsed.data;
  config.dataDir = path.resolve(cwd, config.dataDir);
  return config;
}

/**
 * `agents.registryEnvironment` as `loadConfig` fills it from `env`: for code that builds its
 * configuration without `loadConfig` (tests, benches) and must still reach the npm registry.
 */
export function registryEnvironmentFrom(
  env: Env = process.env,
): Config['agents']['registryEnvironment'] {
  const found: Config['agents']['registryEnvironment'] = {};
  for (const name of registryVariables) {
    const value = env[name];
    if (value !== undefined && value !== '') found[name] = value;
  }
  return found;
}

/** Whether the process runs under CI (tests that cannot run must then fail, never skip). */
export function isCi(env: Env = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}
