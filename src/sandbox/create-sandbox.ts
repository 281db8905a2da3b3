import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import { BubblewrapSandbox } from './bubblewrap/bubblewrap-sandbox.ts';
import type { ResolveHost } from './network-policy-proxy.ts';
import type { Sandbox } from './sandbox.ts';
import { UnsafeSandbox } from './unsafe-sandbox.ts';

export interface CreateSandboxOptions {
  /** Chosen by configuration; there is no automatic choice and no fallback. */
  kind: 'bubblewrap' | 'unsafe';
  runsRoot: string;
  /** Directories no run may see: Baton's data directory, its configuration, its code. */
  maskPaths: string[];
  logger: Logger;
  uidBase?: number;
  resolveHost?: ResolveHost;
}

export function createSandbox(options: CreateSandboxOptions): Sandbox {
  if (options.kind === 'unsafe') return new UnsafeSandbox(options.logger);
  return new BubblewrapSandbox({
    runsRoot: options.runsRoot,
    maskPaths: options.maskPaths,
    logger: options.logger,
    ...(options.uidBase === undefined ? {} : { uidBase: options.uidBase }),
    ...(options.resolveHost === undefined ? {} : { resolveHost: options.resolveHost }),
  });
}

/**
 * Probes the sandbox at start; when it does not work, throws with the reason and the exact fix, so
 * that Baton refuses runs instead of running them unsandboxed.
 */
export async function assertSandboxWorks(sandbox: Sandbox, logger: Logger): Promise<void> {
  const probe = await sandbox.probe();
  if (probe.ok) {
    logger.info({ sandbox: sandbox.name }, 'sandbox probe passed');
    return;
  }
  logger.error(
    { sandbox: sandbox.name, reason: probe.reason, fix: probe.fix },
    'sandbox probe failed; runs are refused',
  );
  throw new AppError(
    'DEPENDENCY_MISSING',
    `The ${sandbox.name} sandbox does not work here: ${probe.reason}. Fix: ${probe.fix}`,
    {
      details: { sandbox: sandbox.name, reason: probe.reason, fix: probe.fix },
    },
  );
}
