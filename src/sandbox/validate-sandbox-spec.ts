import { isAbsolute } from 'node:path';
import { AppError } from '../errors/app-error.ts';
import { policyProblems } from './domain-policy.ts';
import { proxyPortInside, type SandboxSpec } from './sandbox.ts';

const runIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const forwardNamePattern = /^[a-z0-9][a-z0-9-]{0,31}$/;

function positive(value: number | undefined): boolean {
  return value === undefined || (Number.isSafeInteger(value) && value > 0);
}

/** Everything wrong with a spec, so a caller sees all problems at once. */
export function specProblems(spec: SandboxSpec): string[] {
  const problems: string[] = [];
  if (!runIdPattern.test(spec.runId)) problems.push('runId must be 1-64 letters, digits, _ or -');
  if (!isAbsolute(spec.workspaceDir)) problems.push('workspaceDir must be an absolute path');
  if (spec.command.length === 0 || spec.command[0] === '')
    problems.push('command must not be empty');
  if (spec.command.some((arg) => arg.includes('\0'))) problems.push('command must not contain NUL');
  for (const [name, value] of Object.entries(spec.env)) {
    if (!envNamePattern.test(name)) problems.push(`env name ${JSON.stringify(name)} is invalid`);
    if (value.includes('\0')) problems.push(`env ${name} contains NUL`);
  }
  const { limits } = spec;
  for (const key of ['memoryBytes', 'pids', 'cpuPercent', 'wallMs', 'outputBytes'] as const) {
    if (!positive(limits[key])) problems.push(`limits.${key} must be a positive integer`);
  }
  for (const key of ['nofile', 'fileSizeBytes', 'tmpBytes'] as const) {
    if (!positive(limits[key])) problems.push(`limits.${key} must be a positive integer`);
  }
  const ports = new Set<number>(spec.network === null ? [] : [proxyPortInside]);
  const names = new Set<string>(spec.network === null ? [] : ['proxy']);
  for (const forward of spec.forwards) {
    if (!forwardNamePattern.test(forward.name) || names.has(forward.name))
      problems.push(`forward name ${JSON.stringify(forward.name)} is invalid or repeated`);
    if (
      !Number.isInteger(forward.port) ||
      forward.port < 1 ||
      forward.port > 65535 ||
      ports.has(forward.port)
    )
      problems.push(`forward ${forward.name} port ${forward.port} is invalid or taken`);
    names.add(forward.name);
    ports.add(forward.port);
  }
  if (spec.network !== null) problems.push(...policyProblems(spec.network));
  for (const path of spec.readOnlyPaths ?? []) {
    if (!isAbsolute(path)) problems.push(`readOnlyPaths entry ${path} must be absolute`);
  }
  return problems;
}

export function assertValidSpec(spec: SandboxSpec): void {
  const problems = specProblems(spec);
  if (problems.length > 0)
    throw new AppError('INTERNAL', 'Invalid sandbox spec', {
      details: { problems, runId: spec.runId },
    });
}
