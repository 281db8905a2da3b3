import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logging/logger.ts';
import { OutputChannel } from './output-channel.ts';
import type { SandboxLimits, SandboxProcess, SandboxResult } from './sandbox.ts';

type StopReason = 'timeout' | 'output_limit' | 'cancelled';

export interface RunFacts {
  oomKilled: boolean;
  memoryPeakBytes?: number;
  pidsLimitHits?: number;
}

export interface SupervisorHooks {
  /** Kills every process of the run, including ones that left the process group. */
  killAll(): Promise<void>;
  /** After the child is gone: waits until nothing of the run is left, reads its counters, frees resources. */
  finish(): Promise<RunFacts>;
}

/** Turns a spawned run into a SandboxProcess: wall-clock limit, output cap, cancellation, end reason. */
export function superviseProcess(
  child: ChildProcess,
  limits: SandboxLimits,
  hooks: SupervisorHooks,
  logger: Logger,
): SandboxProcess {
  const started = performance.now();
  let stopReason: StopReason | undefined;
  let exited = false;
  const stop = (reason: StopReason): void => {
    if (exited || stopReason !== undefined) return;
    stopReason = reason;
    logger.warn({ reason }, 'sandbox run stopped');
    hooks.killAll().catch((error: unknown) => {
      logger.error({ err: error }, 'sandbox kill failed');
    });
  };
  const output = new OutputChannel(limits.outputBytes, () => {
    stop('output_limit');
  });
  if (child.stdout !== null) output.attach(child.stdout, 'stdout');
  if (child.stderr !== null) output.attach(child.stderr, 'stderr');
  const timer = setTimeout(() => {
    stop('timeout');
  }, limits.wallMs);

  const ended = new Promise<SandboxResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // Stragglers that kept stdout open would otherwise hold 'close' back forever.
    child.once('exit', () => {
      exited = true;
      clearTimeout(timer);
      hooks.killAll().catch(() => undefined);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      hooks.finish().then((facts) => {
        const durationMs = Math.round(performance.now() - started);
        const extra = {
          durationMs,
          ...(facts.memoryPeakBytes === undefined
            ? {}
            : { memoryPeakBytes: facts.memoryPeakBytes }),
          ...(facts.pidsLimitHits === undefined ? {} : { pidsLimitHits: facts.pidsLimitHits }),
        };
        if (stopReason !== undefined) {
          resolve({ reason: stopReason, ...extra });
          return;
        }
        if (facts.oomKilled && code !== 0) {
          resolve({ reason: 'memory', ...extra });
          return;
        }
        if (signal !== null) {
          resolve({ reason: 'signalled', signal, ...extra });
          return;
        }
        resolve({ reason: 'exited', code: code ?? 0, ...extra });
      }, reject);
    });
  });

  return {
    pid: child.pid ?? -1,
    output,
    ended,
    cancel: async () => {
      stop('cancelled');
      await ended.catch(() => undefined);
    },
  };
}
