import { describe, expect, it } from 'vitest';
import {
  parseLines,
  sampleLaunchInput,
  secretsAroundRun,
} from '../../../test/helpers/agent-tools.ts';
import { AmazonQOutputParser } from './amazon-q-output-parser.ts';
import { amazonQProfile } from './amazon-q-profile.ts';

const aws = {
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-example',
  AWS_REGION_NAME: 'us-east-1',
};

const input = (variables: Record<string, string> = aws, prompt = 'Fix the failing test') =>
  sampleLaunchInput({ prompt, variables: { ...secretsAroundRun, ...variables } });

describe('Amazon Q launch', () => {
  it("runs GitLab's documented invocation: q chat --trust-all-tools --no-interactive --verbose", () => {
    const launch = amazonQProfile.launch(input());
    expect(launch.command).toEqual([
      'q',
      'chat',
      '--trust-all-tools',
      '--no-interactive',
      '--verbose',
      'Fix the failing test',
    ]);
  });

  it('signs with SigV4 using the AWS credentials from the flow variables, and nothing else', () => {
    expect(amazonQProfile.launch(input()).env).toEqual({
      AMAZON_Q_SIGV4: '1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-example',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
  });

  it('prefers AWS_REGION, passes a session token, and takes q from AMAZON_Q_CLI_PATH', () => {
    const launch = amazonQProfile.launch(
      input({
        ...aws,
        AWS_REGION: 'eu-west-1',
        AWS_SESSION_TOKEN: 'session-token',
        AMAZON_Q_CLI_PATH: '/opt/amazon-q/bin/q',
      }),
    );
    expect(launch.command[0]).toBe('/opt/amazon-q/bin/q');
    expect(launch.env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      AWS_SESSION_TOKEN: 'session-token',
    });
  });

  it('refuses a relative AMAZON_Q_CLI_PATH', () => {
    expect(() => amazonQProfile.launch(input({ ...aws, AMAZON_Q_CLI_PATH: 'bin/q' }))).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }) as Error,
    );
  });

  it('names the missing AWS variables, never their values', () => {
    expect(() => amazonQProfile.launch(input({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }))).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        details: { missing: ['AWS_SECRET_ACCESS_KEY', 'AWS_REGION_NAME (or AWS_REGION)'] },
      }) as Error,
    );
  });

  it('writes settings without telemetry, and the flow MCP_CONFIG where GitLab puts it', () => {
    const { files } = amazonQProfile.launch(input({ ...aws, MCP_CONFIG: '{"mcpServers":{}}' }));
    expect(files).toEqual({
      '.local/share/amazon-q/settings.json': `${JSON.stringify(
        { 'telemetry.enabled': false, 'app.disableAutoupdates': true },
        null,
        2,
      )}\n`,
      '.aws/amazonq/mcp.json': '{"mcpServers":{}}',
    });
  });

  it('ends options before a prompt that starts with a dash', () => {
    expect(amazonQProfile.launch(input(aws, '--help')).command.slice(-2)).toEqual(['--', '--help']);
  });
});

describe('Amazon Q output parser', () => {
  it('answers with the whole output, without terminal codes', () => {
    const events = parseLines(
      new AmazonQOutputParser(),
      ['\u001b[32m> \u001b[0mI fixed the test.', '', 'The change is in src/app.ts.\r'],
      0,
    );
    expect(events).toEqual([
      {
        type: 'final',
        text: '> I fixed the test.\n\nThe change is in src/app.ts.',
        isError: false,
      },
    ]);
  });

  it('fails on a non-zero exit code or an empty answer', () => {
    expect(parseLines(new AmazonQOutputParser(), ['partial'], 1)).toEqual([
      { type: 'error', message: 'Amazon Q exited with code 1', fatal: true },
      { type: 'final', text: 'partial', isError: true },
    ]);
    expect(parseLines(new AmazonQOutputParser(), ['  '], 0)).toEqual([
      { type: 'error', message: 'Amazon Q printed no answer', fatal: true },
      { type: 'final', text: '', isError: true },
    ]);
  });
});
