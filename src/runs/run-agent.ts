import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  AgentEvent,
  AgentProfile,
  GatewayAccess,
  InstalledTool,
  ToolSpec,
} from '../agents/agent-profile.ts';
import type { NativeFlowDefinition } from '../flows/flow-definition.ts';
import type { ForwardedPort, Sandbox, SandboxLimits, SandboxResult } from '../sandbox/sandbox.ts';
import { createRedactor } from '../secrets/redact.ts';
import { buildAgentPrompt } from './agent-prompt.ts';
import type { RunLogStore } from './run-log.ts';
import type { Run } from './run-store.ts';
import type { Workspace } from './workspace/create-workspace.ts';

/** What runs need of the agents module; create-services passes the real registry and cache. */
export interface AgentSupport {
  profile(name: NativeFlowDefinition['agent']): AgentProfile;
  tools: { ensure(spec: ToolSpec): Promise<InstalledTool> };
  /**
   * Wraps the agent's argv (tests trace the CLI's network calls with it). Runs inside the
   * sandbox like the command itself.
   */
  wrapCommand?: (command: string[]) => string[];
}

export interface AgentRunDeps {
  sandbox: Sandbox;
  logs: RunLogStore;
  limits: SandboxLimits;
  agents: AgentSupport;
}

export interface AgentRunInput {
  run: Run;
  flow: NativeFlowDefinition;
  workspace: Workspace;
  env: Record<string, string>;
  /** The flow's listed variables, resolved. */
  variables: Record<string, string>;
  gateway: GatewayAccess;
  forwards: ForwardedPort[];
  secrets: readonly string[];
  onStarted: (cancel: () => Promise<void>) => void;
  /** Every parsed event, for the thread's checklist. */
  onEvent: (event: AgentEvent) => void;
}

export interface AgentRunResult {
  result: SandboxResult;
  profile: AgentProfile;
  /** The agent's last word: its `final` event, else its last message. */
  answer: string | null;
  /** The agent said it failed (an `is_error` result, a failed turn, a fatal error). */
  failure: string | null;
}

/** HOME inside the sandbox (bubblewrap's private tmpfs home). */
const homeInside = '/home/agent';
/** A JSON line longer than this is not an event Baton needs; it is skipped, not buffered. */
const maxLineBytes = 4 * 1024 * 1024;

function renderEvent(event: AgentEvent): string | null {
  switch (event.type) {
    case 'message':
      return `💬 ${event.text}`;
    case 'tool_call':
      return `🔧 ${event.tool}${event.summary === '' ? '' : `: ${event.summary}`}`;
    case 'file_change':
      return `✎ ${event.kind} ${event.path}`;
    case 'command':
      return `$ ${event.command}${event.exitCode === null ? '' : ` (exit ${event.exitCode})`}`;
    case 'error':
      return `${event.fatal ? '❌' : '⚠️'} ${event.message}`;
    case 'final':
      return `${event.isError ? '❌' : '✅'} ${event.text}`;
    case 'usage':
      return null;
  }
}

/** Splits stdout into lines without holding more than one (bounded) line. */
class LineSplitter {
  #partial = '';
  #skipping = false;

  push(text: string): string[] {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    const lines = this.#skipping ? parts.slice(1) : parts;
    this.#skipping = false;
    if (this.#partial.length > maxLineBytes) {
      this.#partial = '';
      this.#skipping = true;
    }
    return lines;
  }

  end(): string[] {
    const rest = this.#skipping ? '' : this.#partial;
    this.#partial = '';
    return rest === '' ? [] : [rest];
  }
}

async function writeHomeSeed(runDir: string, files: Record<string, string>): Promise<string> {
  const seed = path.join(runDir, 'agent-home');
  await mkdir(seed, { recursive: true, mode: 0o755 });
  await chmod(seed, 0o755);
  for (const [relative, content] of Object.entries(files)) {
    const target = path.resolve(seed, relative);
    if (!target.startsWith(`${seed}${path.sep}`)) {
      throw new Error(`agent file outside HOME: ${relative}`);
    }
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, content, { mode: 0o644 });
  }
  return seed;
}

/**
 * Runs a Baton-native flow's agent CLI in the sandbox: installs it into the tool cache (once),
 * points it at the gateway with the run's token, and turns its machine-readable output into the
 * run's log and events. Publishing is the executor's job.
 */
export async function runAgent(deps: AgentRunDeps, input: AgentRunInput): Promise<AgentRunResult> {
  const { run, flow, logs } = { ...input, logs: deps.logs };
  const profile = deps.agents.profile(flow.agent);
  let tool: InstalledTool | null = null;
  if (profile.tool !== null) {
    const title = `Install ${profile.displayName} ${profile.tool.version}`;
    await logs.progress(run.id, { id: 'tool', title, state: 'active' });
    tool = await deps.agents.tools.ensure(profile.tool);
    await logs.progress(run.id, { id: 'tool', title, state: 'done' });
  }
  const prompt = buildAgentPrompt({
    flow,
    agentName: profile.displayName,
    environment: input.env,
    noteableType: run.noteable.type,
    requestedBy: run.requestedBy.username,
    // Pointed at only when AI_FLOW_CONTEXT was cut to GitLab's bound.
    contextFile:
      input.env.AI_FLOW_CONTEXT_FILE !== undefined &&
      run.fullContext.length > (input.env.AI_FLOW_CONTEXT ?? '').length
        ? input.env.AI_FLOW_CONTEXT_FILE
        : null,
  });
  const launch = profile.launch({
    runId: run.id,
    prompt,
    workspaceDir: input.workspace.dir,
    homeDir: homeInside,
    tool,
    gateway: input.gateway,
    variables: input.variables,
    ...(flow.model === undefined ? {} : { model: flow.model }),
    ...(flow.maxTurns === undefined ? {} : { maxTurns: flow.maxTurns }),
    ...(flow.allowedTools === undefined ? {} : { allowedTools: flow.allowedTools }),
    ...(flow.commands === undefined ? {} : { commands: flow.commands }),
  });
  const seed =
    Object.keys(launch.files).length === 0
      ? null
      : await writeHomeSeed(input.workspace.runDir, launch.files);
  const agentCommand = deps.agents.wrapCommand?.(launch.command) ?? launch.command;
  // The CLI's settings are copied into the private HOME first: they must be writable there.
  const command =
    seed === null
      ? agentCommand
      : ['/bin/sh', '-c', 'cp -R "$0"/. "$HOME"/ && exec "$@"', seed, ...agentCommand];
  const title = `Run ${profile.displayName}`;
  await logs.progress(run.id, { id: 'flow', title, state: 'active' });
  const process = await deps.sandbox.start({
    runId: run.id,
    workspaceDir: input.workspace.dir,
    command,
    env: { ...input.env, ...launch.env },
    limits: deps.limits,
    forwards: input.forwards,
    network: run.networkPolicy,
    readOnlyPaths: [
      ...(tool === null ? [] : [tool.dir]),
      ...(seed === null ? [] : [seed]),
      ...(input.workspace.contextFile ? [input.workspace.contextFile] : []),
    ],
  });
  input.onStarted(() => process.cancel());
  const parser = profile.parser();
  const lines = new LineSplitter();
  const redactors = {
    stdout: createRedactor(input.secrets),
    stderr: createRedactor(input.secrets),
  };
  const seen: { answer: string | null; message: string | null; failure: string | null } = {
    answer: null,
    message: null,
    failure: null,
  };
  const onEvents = async (events: AgentEvent[]): Promise<void> => {
    let text = '';
    for (const event of events) {
      input.onEvent(event);
      if (event.type === 'final') {
        seen.answer = event.text;
        if (event.isError) seen.failure = event.text;
      } else if (event.type === 'message') {
        seen.message = event.text;
      } else if (event.type === 'error' && event.fatal) {
        seen.failure = event.message;
      }
      const line = renderEvent(event);
      if (line !== null) text += `${line}\n`;
    }
    const redacted = redactors.stdout.write(text);
    if (redacted !== '') await logs.append(run.id, 'stdout', redacted);
  };
  for await (const { stream, chunk } of process.output) {
    if (stream === 'stdout') {
      for (const line of lines.push(chunk.toString('utf8'))) await onEvents(parser.line(line));
    } else {
      const text = redactors.stderr.write(chunk.toString('utf8'));
      if (text !== '') await logs.append(run.id, 'stderr', text);
    }
  }
  for (const line of lines.end()) await onEvents(parser.line(line));
  const result = await process.ended;
  await onEvents(parser.end(result.reason === 'exited' ? result.code : null));
  for (const stream of ['stdout', 'stderr'] as const) {
    const tail = redactors[stream].end();
    if (tail !== '') await logs.append(run.id, stream, tail);
  }
  return { result, profile, answer: seen.answer ?? seen.message, failure: seen.failure };
}
