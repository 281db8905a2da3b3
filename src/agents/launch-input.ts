/** Checks on a launch input that every profile makes the same way. */
import { AppError } from '../errors/app-error.ts';
import type { AgentLaunchInput, InstalledTool } from './agent-profile.ts';

/** The installed CLI; a profile with a tool cannot start without it. */
export function requireInstalledTool(input: AgentLaunchInput, displayName: string): InstalledTool {
  if (input.tool === null) {
    throw new AppError('INTERNAL', `${displayName} was started without its installed CLI`, {
      details: { runId: input.runId },
    });
  }
  return input.tool;
}

/** The flow's turn limit when it is a usable one, else undefined (the CLI's own default). */
export function turnLimit(input: AgentLaunchInput): number | undefined {
  const turns = input.maxTurns;
  return turns !== undefined && Number.isInteger(turns) && turns > 0 ? turns : undefined;
}
