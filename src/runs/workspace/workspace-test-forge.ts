import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevForge, type DevForge } from '../../../devforge/create-dev-forge.ts';
import type { ForgeProject } from '../../forges/forge.ts';
import { GitLabApi } from '../../forges/gitlab/gitlab-api.ts';
import { MirrorCache, type MirrorSource } from './mirror-cache.ts';

/** Tokens the development forge's default fixture seeds (devforge/readme.md). */
export const testTokens = {
  root: 'glpat-root-admin-token-0001',
  agent: 'glpat-claude-agent-token-0001',
} as const;

/**
 * For tests only: a development forge on loopback with the default fixture, a data
 * directory, and the `demo/app` project as a mirror source for the `claude-agent` bot.
 */
export interface WorkspaceTestForge {
  forge: DevForge;
  url: string;
  dataDir: string;
  project: ForgeProject;
  agentApi: GitLabApi;
  source: MirrorSource;
  newMirrorCache(): MirrorCache;
  rest(method: string, path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startWorkspaceTestForge(): Promise<WorkspaceTestForge> {
  const reposDir = await mkdtemp(join(tmpdir(), 'baton-ws-forge-'));
  const dataDir = await mkdtemp(join(tmpdir(), 'baton-ws-data-'));
  const forge = await createDevForge({ reposDir });
  const { url } = await forge.listen({ host: '127.0.0.1', port: 0 });
  const agentApi = new GitLabApi({ baseUrl: url, token: testTokens.agent, retries: 0 });
  const project = await agentApi.getProject('demo/app');
  const rest = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${url}/api/v4${path}`, {
      method,
      headers: {
        'PRIVATE-TOKEN': testTokens.root,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  return {
    forge,
    url,
    dataDir,
    project,
    agentApi,
    source: {
      connectionId: 'devforge',
      projectId: project.id,
      httpUrl: project.httpUrlToRepo,
      token: testTokens.agent,
    },
    newMirrorCache: () => new MirrorCache({ dataDir }),
    rest,
    async stop() {
      await forge.close();
      await rm(reposDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Commits one file to a branch of demo/app through the REST API, as root. */
export async function commitThroughApi(
  forge: WorkspaceTestForge,
  branch: string,
  path: string,
  content: string,
): Promise<string> {
  const commit = (await forge.rest('POST', `/projects/${forge.project.id}/repository/commits`, {
    branch,
    commit_message: `Add ${path}`,
    actions: [{ action: 'create', file_path: path, content }],
  })) as { id: string };
  return commit.id;
}
