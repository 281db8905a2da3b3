import type { ForgeProject } from '../forges/forge.ts';
import { AppError } from '../errors/app-error.ts';
import { maxVariableBytes } from '../secrets/variable-store.ts';
import type { Run } from './run-store.ts';

/**
 * The environment GitLab gives a flow's workload (gitlab-spec.md §1.4), from the run's trigger
 * context, the project, and the variables the flow lists. Nothing of Baton's own environment.
 */
export function buildRunEnvironment(input: {
  run: Run;
  project: ForgeProject;
  workloadBranch: string;
  variables: Record<string, string>;
  runUrl: string;
  /** Baton's API as the flow reaches it inside the sandbox. */
  apiUrl?: string;
  /** The uncut context's file, as the flow sees it (read-only). */
  contextFile?: string | null;
}): Record<string, string> {
  const { run, project } = input;
  const namespace = project.pathWithNamespace.split('/').slice(0, -1).join('/');
  const env: Record<string, string> = {
    ...input.variables,
    ...run.environment,
    CI: 'true',
    CI_SERVER: 'yes',
    CI_WORKLOAD_REF: input.workloadBranch,
    CI_PROJECT_ID: String(project.id),
    CI_PROJECT_NAME: project.name,
    CI_PROJECT_PATH: project.pathWithNamespace,
    CI_PROJECT_NAMESPACE: namespace,
    CI_PROJECT_URL: project.webUrl,
    CI_PROJECT_VISIBILITY: project.visibility,
    CI_DEFAULT_BRANCH: project.defaultBranch ?? '',
    CI_JOB_ID: run.id,
    CI_JOB_URL: input.runUrl,
    CI_JOB_STATUS: 'running',
    ...(input.apiUrl === undefined ? {} : { BATON_API_URL: input.apiUrl }),
    // The context uncut: AI_FLOW_CONTEXT is bounded as GitLab bounds it.
    ...(input.contextFile ? { AI_FLOW_CONTEXT_FILE: input.contextFile } : {}),
  };
  for (const [key, value] of Object.entries(env)) {
    // Linux refuses a single environment string over 128 KiB (MAX_ARG_STRLEN): say which.
    if (Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8') + 1 > maxVariableBytes) {
      throw new AppError(
        'BAD_REQUEST',
        `The variable ${key} is larger than 128 KiB, which GitLab and Linux refuse`,
      );
    }
  }
  return env;
}

/**
 * What `injectGatewayToken: true` adds to a GitLab-format flow: GitLab's two variables, plus the
 * base URLs that replace GitLab's `cloud.gitlab.com/ai/v1/proxy/...` in its examples.
 */
export function gatewayEnvironment(access: {
  anthropicBaseUrl: string;
  openaiBaseUrl: string;
  googleBaseUrl: string;
  token: string;
  headers: Record<string, string>;
}): Record<string, string> {
  return {
    AI_FLOW_AI_GATEWAY_TOKEN: access.token,
    AI_FLOW_AI_GATEWAY_HEADERS: Object.entries(access.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    BATON_GATEWAY_ANTHROPIC_URL: access.anthropicBaseUrl,
    BATON_GATEWAY_OPENAI_URL: access.openaiBaseUrl,
    BATON_GATEWAY_GOOGLE_URL: access.googleBaseUrl,
  };
}
