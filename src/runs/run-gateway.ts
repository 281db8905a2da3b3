import type { GatewayAccess } from '../agents/agent-profile.ts';
import { gatewayBaseUrls, type ModelGateway, type RunUsage } from '../gateway/model-gateway.ts';
import type { Logger } from '../logging/logger.ts';
import type { SandboxLimits } from '../sandbox/sandbox.ts';
import { sandboxApiPort, type PreparedRun } from './prepare-run.ts';
import { gatewayEnvironment } from './run-environment.ts';
import { RunStop } from './run-stop.ts';
import type { Run } from './run-store.ts';

/**
 * A per-run gateway token for native flows, and for GitLab flows that ask for one with
 * `injectGatewayToken: true` (they get GitLab's variables plus the base URLs). The token is
 * added to the run's secrets, so it is redacted like them. Null when the flow needs none.
 */
export async function grantRunGateway(
  deps: { gateway: ModelGateway; apiPort: () => number | null; limits: SandboxLimits },
  run: Run,
  prepared: PreparedRun,
): Promise<GatewayAccess | null> {
  const { flow } = run;
  if (flow.format === 'gitlab' && !flow.injectGatewayToken) return null;
  if (deps.apiPort() === null) {
    throw new RunStop(
      {
        kind: 'failed',
        step: 'sandbox',
        message: 'Baton is not listening on a port, so the run cannot reach the model gateway.',
      },
      'no gateway',
    );
  }
  const grant = await deps.gateway.grant({
    runId: run.id,
    connectionId: run.connectionId,
    projectPath: run.projectPath,
    // The token dies with the run's wall-clock limit even if nobody revokes it.
    expiresAt: new Date(Date.now() + deps.limits.wallMs + 60_000),
  });
  prepared.secrets.push(grant.token);
  const urls = gatewayBaseUrls(`http://127.0.0.1:${sandboxApiPort}`);
  const access: GatewayAccess = {
    anthropicBaseUrl: urls.anthropic,
    openaiBaseUrl: urls.openai,
    googleBaseUrl: urls.google,
    token: grant.token,
    headers: grant.headers,
  };
  if (flow.format === 'gitlab') Object.assign(prepared.env, gatewayEnvironment(access));
  return access;
}

/** Revokes the run's token and reads what it spent; a failure here never loses the run's note. */
export async function closeRunGateway(
  gateway: ModelGateway,
  runId: string,
  log: Logger,
): Promise<RunUsage | null> {
  try {
    await gateway.revoke(runId);
    return await gateway.usage(runId);
  } catch (error) {
    log.error({ err: error }, 'could not close the run gateway token');
    return null;
  }
}
