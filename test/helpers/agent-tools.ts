/**
 * Agent CLIs for tests, and small helpers to drive agent profiles the way the executor does.
 *
 * The CLIs (about 1.3 GB together) are installed once per machine into a persistent cache,
 * `$BATON_TEST_TOOL_CACHE` or `~/.cache/baton/test-tools`, by the same ToolCache Baton uses;
 * later runs find them there and download nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type {
  AgentEvent,
  AgentLaunch,
  AgentLaunchInput,
  AgentOutputParser,
  InstalledTool,
  ToolSpec,
} from '../../src/agents/agent-profile.ts';
import { agentProfile } from '../../src/agents/agent-profiles.ts';
import { ToolCache } from '../../src/agents/tool-cache.ts';
import type { AgentName } from '../../src/flows/flow-definition.ts';
import { registryEnvironmentFrom } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/logger.ts';

/**
 * Where test runs keep agent CLIs between runs (about 1.3 GB, so not per run). Not under HOME:
 * sandboxed runs bind the cache from its own path, and run uids cannot traverse /root.
 */
export function testToolCacheDir(): string {
  return process.env['BATON_TEST_TOOL_CACHE'] ?? path.join('/var/tmp', 'baton', 'test-tools');
}

let sharedCache: ToolCache | undefined;

function testToolCache(): ToolCache {
  sharedCache ??= new ToolCache({
    dir: testToolCacheDir(),
    logger: createLogger({ level: 'warn', name: 'test-tools' }),
    registryEnvironment: registryEnvironmentFrom(process.env),
  });
  return sharedCache;
}

/** Installs (first time only) the CLIs of the given agents; each must have an npm tool. */
export async function ensureTestTools<const N extends AgentName>(
  names: readonly N[],
): Promise<Record<N, InstalledTool>> {
  const cache = testToolCache();
  const entries = await Promise.all(
    names.map(async (name) => {
      const spec = agentProfile(name).tool;
      if (spec === null) throw new Error(`Agent ${name} has no npm tool to install`);
      return [name, await cache.ensure(spec)] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<N, InstalledTool>;
}

/** Feeds lines to a parser and ends it, as the executor does; returns every event. */
export function parseLines(
  parser: AgentOutputParser,
  lines: readonly string[],
  exitCode: number | null,
): AgentEvent[] {
  return [...lines.flatMap((line) => parser.line(line)), ...parser.end(exitCode)];
}

/** A fixture's lines: blank lines dropped (JSONL), or kept (plain text, where they separate blocks). */
export async function readFixtureLines(
  url: URL,
  options: { keepBlankLines?: boolean } = {},
): Promise<string[]> {
  const lines = (await readFile(url, 'utf8')).replace(/\n$/, '').split('\n');
  return options.keepBlankLines === true ? lines : lines.filter((line) => line.trim() !== '');
}

export interface DirectRun {
  exitCode: number | null;
  stdoutLines: string[];
  stderr: string;
  events: AgentEvent[];
}

/**
 * Runs a profile's launch directly, without a sandbox: writes its files under `homeDir`,
 * starts the command in `cwd` with stdin /dev/null and an environment built from nothing
 * (PATH, HOME, the launch's env), and parses stdout line by line.
 */
export async function runLaunchDirectly(options: {
  launch: AgentLaunch;
  parser: AgentOutputParser;
  cwd: string;
  homeDir: string;
  path?: string;
  timeoutMs: number;
}): Promise<DirectRun> {
  const { launch, parser, cwd, homeDir } = options;
  for (const [relative, content] of Object.entries(launch.files)) {
    const target = path.join(homeDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  const [command, ...args] = launch.command;
  if (command === undefined) throw new Error('empty command');
  const child = spawn(command, args, {
    cwd,
    env: {
      PATH: options.path ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: homeDir,
      LANG: 'C.UTF-8',
      ...launch.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const events: AgentEvent[] = [];
  const stdoutLines: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    stdoutLines.push(line);
    events.push(...parser.line(line));
  });
  const timer = setTimeout(() => {
    // The whole process group: some CLIs start helpers of their own.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve(code);
    });
  });
  clearTimeout(timer);
  lines.close();
  events.push(...parser.end(exitCode));
  return { exitCode, stdoutLines, stderr, events };
}

/** Secrets a run has around it that must never reach an agent's command line, env or files. */
export const secretsAroundRun = {
  GITLAB_TOKEN: 'glpat-forge-token-never-in-agent',
  AI_FLOW_GITLAB_TOKEN: 'glpat-flow-token-never-in-agent',
  ANTHROPIC_API_KEY: 'sk-ant-provider-key-never-in-agent',
  OPENAI_API_KEY: 'sk-openai-provider-key-never-in-agent',
  GEMINI_API_KEY: 'gemini-provider-key-never-in-agent',
} as const;

/** A launch input as the executor builds it, with the given profile's tool installed at /tools. */
export function sampleLaunchInput(
  overrides: Partial<AgentLaunchInput> & { toolSpec?: ToolSpec | null } = {},
): AgentLaunchInput {
  const { toolSpec, ...rest } = overrides;
  const tool =
    toolSpec === undefined || toolSpec === null
      ? null
      : { spec: toolSpec, dir: '/tools/cli', bin: `/tools/cli/${toolSpec.bin}` };
  return {
    runId: 'run-42',
    prompt: 'Fix the failing test in src/app.ts',
    workspaceDir: '/work/run-42/workspace',
    homeDir: '/home/agent',
    tool,
    gateway: {
      anthropicBaseUrl: 'http://127.0.0.1:7001/gateway/anthropic',
      openaiBaseUrl: 'http://127.0.0.1:7001/gateway/openai/v1',
      googleBaseUrl: 'http://127.0.0.1:7001/gateway/google',
      token: 'baton-run-token-42',
      headers: { 'X-Baton-Run': 'run-42' },
    },
    variables: { ...secretsAroundRun },
    ...rest,
  };
}

export interface TempRepoRun extends DirectRun {
  /** The git work tree the agent ran in. */
  repo: string;
  home: string;
}

/**
 * Runs an installed CLI's profile directly (no sandbox) in a fresh git repository, with the
 * gateway's base URLs pointing straight at `providerUrl` (a scripted provider that expects
 * `token` as its key). Removes nothing: call `cleanup` with the returned directories.
 */
export async function runProfileInTempRepo(options: {
  name: AgentName;
  tool: InstalledTool | null;
  providerUrl: string;
  token: string;
  prompt: string;
  timeoutMs: number;
  headers?: Record<string, string>;
}): Promise<TempRepoRun> {
  const root = await mkdtemp(path.join(os.tmpdir(), `baton-${options.name}-cli-`));
  const repo = path.join(root, 'repo');
  const home = path.join(root, 'home');
  await mkdir(repo);
  await mkdir(home);
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args],
      {
        cwd: repo,
        stdio: 'ignore',
      },
    );
  git('init', '-q', '-b', 'main');
  await writeFile(path.join(repo, 'README.md'), '# Demo\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'initial');
  const profile = agentProfile(options.name);
  const launch = profile.launch({
    runId: 'run-cli-test',
    prompt: options.prompt,
    workspaceDir: repo,
    homeDir: home,
    tool: options.tool,
    gateway: {
      anthropicBaseUrl: options.providerUrl,
      openaiBaseUrl: `${options.providerUrl}/v1`,
      googleBaseUrl: options.providerUrl,
      token: options.token,
      headers: options.headers ?? { 'X-Baton-Run': 'run-cli-test' },
    },
    variables: {},
  });
  const run = await runLaunchDirectly({
    launch,
    parser: profile.parser(),
    cwd: repo,
    homeDir: home,
    timeoutMs: options.timeoutMs,
  });
  return { ...run, repo, home };
}

/** Removes what `runProfileInTempRepo` created. */
export async function cleanupTempRepo(run: { repo: string } | undefined): Promise<void> {
  if (run) await rm(path.dirname(run.repo), { recursive: true, force: true });
}
