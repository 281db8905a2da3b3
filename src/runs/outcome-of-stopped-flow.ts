import type { SandboxLimits, SandboxResult } from '../sandbox/sandbox.ts';
import type { RunOutcome } from './publish/final-note.ts';

const mib = (bytes: number) => Math.round(bytes / 1048576);

/**
 * How a flow that did not exit 0 ends, in the final note's terms; null when it exited 0 and its
 * work is to be published.
 */
export function outcomeOfStoppedFlow(
  result: SandboxResult,
  limits: SandboxLimits,
  cancelledBy: string | null | undefined,
): RunOutcome | null {
  switch (result.reason) {
    case 'cancelled':
      return { kind: 'cancelled', by: cancelledBy ?? null };
    case 'timeout':
      return { kind: 'timed_out', limitMs: limits.wallMs };
    case 'memory':
      return {
        kind: 'failed',
        step: 'agent',
        message: `The flow ran out of memory (limit ${mib(limits.memoryBytes)} MiB).`,
      };
    case 'output_limit':
      return {
        kind: 'failed',
        step: 'agent',
        message: `The flow printed more than ${mib(limits.outputBytes)} MiB of output and was stopped.`,
      };
    case 'signalled':
      return {
        kind: 'failed',
        step: 'agent',
        message: `The flow was killed by ${result.signal}.`,
      };
    case 'exited':
      return result.code === 0 ? null : { kind: 'failed', step: 'agent', exitCode: result.code };
  }
}
