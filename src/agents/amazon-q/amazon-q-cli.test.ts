/**
 * Amazon Q cannot be installed here (on neither npm nor Debian), so a stand-in `q` on PATH
 * checks that it was started exactly as GitLab documents it
 * (`AMAZON_Q_SIGV4=1 q chat --trust-all-tools --no-interactive --verbose "<prompt>"`, AWS keys
 * in the environment), then prints an answer.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runLaunchDirectly, sampleLaunchInput } from '../../../test/helpers/agent-tools.ts';
import { amazonQProfile } from './amazon-q-profile.ts';

const answerFixture = new URL('./__fixtures__/answer.txt', import.meta.url);
const prompt = `Context: issue #7 "tests fail"\nTask: fix $THE test \`now\``;

const temporary: string[] = [];
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A `q` that exits 3 with a reason unless argv and environment are the documented ones. */
async function standInQ(binDir: string, exitCode: number): Promise<void> {
  await writeFile(path.join(binDir, 'expected-prompt'), prompt);
  await writeFile(
    path.join(binDir, 'q'),
    [
      '#!/bin/bash',
      'fail() { echo "stand-in q: $1" >&2; exit 3; }',
      '[ "$#" -eq 5 ] || fail "expected 5 arguments, got $#: $*"',
      '[ "$1" = chat ] || fail "argument 1: $1"',
      '[ "$2" = --trust-all-tools ] || fail "argument 2: $2"',
      '[ "$3" = --no-interactive ] || fail "argument 3: $3"',
      '[ "$4" = --verbose ] || fail "argument 4: $4"',
      `[ "$5" = "$(cat '${binDir}/expected-prompt')" ] || fail "prompt: $5"`,
      '[ "$AMAZON_Q_SIGV4" = 1 ] || fail "AMAZON_Q_SIGV4=$AMAZON_Q_SIGV4"',
      '[ "$AWS_ACCESS_KEY_ID" = AKIASTANDIN ] || fail "AWS_ACCESS_KEY_ID"',
      '[ "$AWS_SECRET_ACCESS_KEY" = stand-in-secret ] || fail "AWS_SECRET_ACCESS_KEY"',
      '[ "$AWS_REGION" = eu-central-1 ] || fail "AWS_REGION=$AWS_REGION"',
      '[ -f "$HOME/.local/share/amazon-q/settings.json" ] || fail "settings file missing"',
      '[ -z "$GITLAB_TOKEN$ANTHROPIC_API_KEY" ] || fail "a forge token or provider key leaked"',
      'echo "verbose log line" >&2',
      `cat '${binDir}/answer.txt'`,
      `exit ${exitCode}`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  await writeFile(path.join(binDir, 'answer.txt'), await readFile(answerFixture, 'utf8'));
}

async function runStandIn(exitCode: number) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'amazon-q-'));
  temporary.push(root);
  await standInQ(root, exitCode);
  const launch = amazonQProfile.launch(
    sampleLaunchInput({
      prompt,
      homeDir: root,
      workspaceDir: root,
      variables: {
        GITLAB_TOKEN: 'glpat-not-for-q',
        AWS_ACCESS_KEY_ID: 'AKIASTANDIN',
        AWS_SECRET_ACCESS_KEY: 'stand-in-secret',
        AWS_REGION_NAME: 'eu-central-1',
      },
    }),
  );
  return runLaunchDirectly({
    launch,
    parser: amazonQProfile.parser(),
    cwd: root,
    homeDir: root,
    path: `${root}:/usr/local/bin:/usr/bin:/bin`,
    timeoutMs: 20_000,
  });
}

describe('Amazon Q with a stand-in q on PATH', () => {
  it("starts q with GitLab's documented arguments and AWS environment, and reads its answer", async () => {
    const run = await runStandIn(0);
    expect(run.stderr).toBe('verbose log line\n');
    expect(run.exitCode).toBe(0);
    expect(run.events).toEqual([
      { type: 'final', text: (await readFile(answerFixture, 'utf8')).trim(), isError: false },
    ]);
  });

  it('reports a failing q as a failed run', async () => {
    const run = await runStandIn(1);
    expect(run.exitCode).toBe(1);
    expect(run.events.at(-1)).toMatchObject({ type: 'final', isError: true });
    expect(run.events).toContainEqual({
      type: 'error',
      message: 'Amazon Q exited with code 1',
      fatal: true,
    });
  });
});
