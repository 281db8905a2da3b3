import { chmod } from 'node:fs/promises';
import path from 'node:path';
import type { ForgeApi, ForgeProject } from '../forges/forge.ts';
import type { VariableStore } from '../secrets/variable-store.ts';
import { buildRunEnvironment } from './run-environment.ts';
import type { RunLogStore } from './run-log.ts';
import type { Run } from './run-store.ts';
import {
  createWorkspace,
  removeWorkspace,
  workspaceStartBranch,
  type Workspace,
} from './workspace/create-workspace.ts';
import type { MirrorCache } from './workspace/mirror-cache.ts';

/** Where a flow reaches Baton's API inside its sandbox (`BATON_API_URL`). */
export const sandboxApiPort = 17_080;

export interface PrepareDeps {
  mirrors: MirrorCache;
  variables: VariableStore;
  logs: RunLogStore;
  workspacesDir: string;
  runLink: (runId: string) => string;
  apiPort: () => number | null;
}

export interface PreparedRun {
  project: ForgeProject;
  workspace: Workspace;
  env: Record<string, string>;
  /** The variables the flow lists, resolved (also part of `env`). */
  variables: Record<string, string>;
  /** Values to redact: the agent token, the webhook secret, the masked variables. */
  secrets: string[];
}

/**
 * Everything a run needs before its flow starts: the workspace from the project's mirror, the
 * listed variables (masked ones added to `secrets`), and the environment GitLab gives a workload.
 */
export async function prepareRun(
  deps: PrepareDeps,
  { run, api, token, secrets }: { run: Run; api: ForgeApi; token: string; secrets: string[] },
): Promise<PreparedRun> {
  const { logs } = deps;
  await logs.progress(run.id, {
    id: 'workspace',
    title: 'Prepare the workspace',
    state: 'active',
  });
  const project = await api.getProject(run.projectId);
  const startBranch = workspaceStartBranch(run.noteable, project.defaultBranch);
  const runDir = path.join(deps.workspacesDir, run.id);
  // A run queued again after its Baton died while preparing it finds that attempt's directory.
  // The claim makes this process the run's only executor, so whatever is there is stale.
  await removeWorkspace({ runDir });
  const workspace = await createWorkspace({
    mirrors: deps.mirrors,
    source: {
      connectionId: run.connectionId,
      projectId: project.id,
      httpUrl: project.httpUrlToRepo,
      token,
    },
    runId: run.id,
    runDir,
    startBranch,
    fullContext: run.fullContext || (run.environment.AI_FLOW_CONTEXT ?? ''),
  });
  // The run uid must traverse the run directory to reach the work tree; Baton's own git
  // directory beside it stays owner-only.
  await chmod(workspace.runDir, 0o711);
  await chmod(workspace.controlGitDir, 0o700);
  const listed = run.flow.variables;
  const resolved = await deps.variables.resolve(run.connectionId, run.projectPath, listed);
  secrets.push(...resolved.secrets);
  if (resolved.missing.length > 0) {
    await logs.append(
      run.id,
      'system',
      `Variables the flow lists but the project does not define: ${resolved.missing.join(', ')}\n`,
    );
  }
  const env = buildRunEnvironment({
    run,
    project,
    workloadBranch: workspace.branch,
    variables: resolved.values,
    runUrl: deps.runLink(run.id),
    contextFile: workspace.contextFile,
    ...(deps.apiPort() === null ? {} : { apiUrl: `http://127.0.0.1:${sandboxApiPort}` }),
  });
  await logs.progress(run.id, { id: 'workspace', title: 'Prepare the workspace', state: 'done' });
  return { project, workspace, env, variables: resolved.values, secrets };
}
