import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GitLabFlowDefinition } from '../flows/flow-definition.ts';
import type { ForwardedPort, Sandbox, SandboxLimits, SandboxResult } from '../sandbox/sandbox.ts';
import { createRedactor } from '../secrets/redact.ts';
import { buildFlowScript, RunnerOutputParser, type RunnerEvent } from './flow-script.ts';
import type { RunLogStore } from './run-log.ts';
import type { Run } from './run-store.ts';
import type { Workspace } from './workspace/create-workspace.ts';

export interface CommandRunDeps {
  sandbox: Sandbox;
  logs: RunLogStore;
  limits: SandboxLimits;
}

export interface CommandRunInput {
  run: Run;
  flow: GitLabFlowDefinition;
  workspace: Workspace;
  env: Record<string, string>;
  forwards: ForwardedPort[];
  secrets: readonly string[];
  onStarted: (cancel: () => Promise<void>) => void;
}

function commandTitle(commands: readonly string[], index: number): string {
  return (commands[index] ?? '').split('\n')[0]?.slice(0, 80) ?? '';
}

async function onRunnerEvents(
  logs: RunLogStore,
  runId: string,
  events: RunnerEvent[],
  commands: readonly string[],
): Promise<void> {
  for (const event of events) {
    if (event.type !== 'command') continue;
    if (event.index > 0) {
      const id = `command-${event.index - 1}`;
      await logs.progress(runId, {
        id,
        title: commandTitle(commands, event.index - 1),
        state: 'done',
      });
    }
    const id = `command-${event.index}`;
    await logs.progress(runId, { id, title: commandTitle(commands, event.index), state: 'active' });
  }
}

/**
 * Runs a GitLab-format flow's `commands` in the sandbox, as GitLab's one-job workload would:
 * one bash script, output logged (redacted) and each command turned into a checklist item.
 */
export async function runCommands(
  deps: CommandRunDeps,
  input: CommandRunInput,
): Promise<SandboxResult> {
  const { run, flow, workspace } = input;
  const { logs } = deps;
  const { commands } = flow;
  const script = buildFlowScript(commands, 'bash');
  const scriptPath = path.join(workspace.runDir, 'flow.sh');
  await mkdir(workspace.runDir, { recursive: true });
  await writeFile(scriptPath, script.text, { mode: 0o644 });
  if (flow.image !== '') {
    await logs.append(
      run.id,
      'system',
      `The local executor runs on this host; image ${flow.image} is not used.\n`,
    );
  }
  await logs.progress(run.id, { id: 'flow', title: 'Run the flow', state: 'active' });
  const process = await deps.sandbox.start({
    runId: run.id,
    workspaceDir: workspace.dir,
    command: ['bash', scriptPath],
    env: input.env,
    limits: deps.limits,
    forwards: input.forwards,
    network: run.networkPolicy,
    readOnlyPaths: [scriptPath, ...(workspace.contextFile ? [workspace.contextFile] : [])],
  });
  input.onStarted(() => process.cancel());
  const parser = new RunnerOutputParser(script.marker);
  // One redactor per stream: a secret split across chunks is held back within its stream.
  const redactors = {
    stdout: createRedactor(input.secrets),
    stderr: createRedactor(input.secrets),
  };
  for await (const { stream, chunk } of process.output) {
    const parsed =
      stream === 'stdout'
        ? parser.push(chunk.toString('utf8'))
        : { events: [], text: chunk.toString('utf8') };
    await onRunnerEvents(logs, run.id, parsed.events, commands);
    const text = redactors[stream].write(parsed.text);
    if (text !== '') await logs.append(run.id, stream, text);
  }
  const rest = parser.flush();
  await onRunnerEvents(logs, run.id, rest.events, commands);
  const tails = {
    stdout: redactors.stdout.write(rest.text) + redactors.stdout.end(),
    stderr: redactors.stderr.end(),
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    if (tails[stream] !== '') await logs.append(run.id, stream, tails[stream]);
  }
  return process.ended;
}
