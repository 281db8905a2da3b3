/**
 * Amazon Q Developer CLI (`q`), run the way GitLab's flow example runs it:
 * `AMAZON_Q_SIGV4=1 q chat --trust-all-tools --no-interactive --verbose "<prompt>"`.
 * Q signs its calls to AWS with SigV4 itself, so it cannot go through Baton's gateway: this is
 * the one profile whose provider credential (the flow's AWS keys) enters the sandbox, and its
 * runs need a network policy that allows the AWS hosts. See readme.md.
 */
import path from 'node:path';
import { AppError } from '../../errors/app-error.ts';
import type { AgentLaunch, AgentLaunchInput, AgentProfile } from '../agent-profile.ts';
import { AmazonQOutputParser } from './amazon-q-output-parser.ts';

/** A flow variable naming the `q` executable (absolute path); without it, `q` on PATH. */
export const amazonQCliPathVariable = 'AMAZON_Q_CLI_PATH';

/** Q's settings file, relative to HOME. */
export const amazonQSettingsFile = '.local/share/amazon-q/settings.json';

/** Where GitLab's example puts the flow's MCP_CONFIG, relative to HOME. */
export const amazonQMcpFile = '.aws/amazonq/mcp.json';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function qExecutable(variables: Record<string, string>): string {
  const configured = nonEmpty(variables[amazonQCliPathVariable]);
  if (configured === undefined) return 'q';
  if (!path.isAbsolute(configured)) {
    throw new AppError('BAD_REQUEST', `${amazonQCliPathVariable} must be an absolute path`, {
      details: { variable: amazonQCliPathVariable },
    });
  }
  return configured;
}

function awsEnvironment(variables: Record<string, string>): Record<string, string> {
  const accessKeyId = nonEmpty(variables['AWS_ACCESS_KEY_ID']);
  const secretAccessKey = nonEmpty(variables['AWS_SECRET_ACCESS_KEY']);
  const region = nonEmpty(variables['AWS_REGION']) ?? nonEmpty(variables['AWS_REGION_NAME']);
  const missing = [
    accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : undefined,
    secretAccessKey === undefined ? 'AWS_SECRET_ACCESS_KEY' : undefined,
    region === undefined ? 'AWS_REGION_NAME (or AWS_REGION)' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (accessKeyId === undefined || secretAccessKey === undefined || region === undefined) {
    throw new AppError(
      'BAD_REQUEST',
      `Amazon Q needs the flow variables ${missing.join(', ')}: it signs its calls to AWS itself`,
      { details: { missing } },
    );
  }
  const sessionToken = nonEmpty(variables['AWS_SESSION_TOKEN']);
  return {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    ...(sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: sessionToken }),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
  };
}

function launch(input: AgentLaunchInput): AgentLaunch {
  const mcpConfig = nonEmpty(input.variables['MCP_CONFIG']);
  return {
    command: [
      qExecutable(input.variables),
      'chat',
      '--trust-all-tools',
      '--no-interactive',
      '--verbose',
      ...(input.model === undefined ? [] : ['--model', input.model]),
      // Only when needed, so the documented command line stays exactly as documented.
      ...(input.prompt.startsWith('-') ? ['--'] : []),
      input.prompt,
    ],
    env: { AMAZON_Q_SIGV4: '1', ...awsEnvironment(input.variables) },
    files: {
      // Key names from Q's `q settings`; not verifiable here (Q is on neither npm nor Debian).
      [amazonQSettingsFile]: `${JSON.stringify(
        { 'telemetry.enabled': false, 'app.disableAutoupdates': true },
        null,
        2,
      )}\n`,
      ...(mcpConfig === undefined ? {} : { [amazonQMcpFile]: mcpConfig }),
    },
  };
}

export const amazonQProfile: AgentProfile = {
  name: 'amazon-q',
  displayName: 'Amazon Q Developer',
  provider: null,
  tool: null,
  // Q chooses its model itself unless the flow names one; this is only what Baton shows.
  defaultModel: 'q-default',
  gitIdentity: { name: 'AmazonQ Code', email: 'amazonq@gitlab.com' },
  launch,
  parser: () => new AmazonQOutputParser(),
};
