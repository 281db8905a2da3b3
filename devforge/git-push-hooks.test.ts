import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startForge, startReceiver, tokens, type StartedForge } from './test/forge-harness.ts';

/** Real `git` pushing over smart HTTP: the forge's GitHttpAccess decides, and Push Hooks follow. */
const run = promisify(execFile);
let started: StartedForge;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let workDir: string;

const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@devforge.test',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@devforge.test',
};
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: gitEnv });
const remote = (token: string) =>
  started.url.replace('http://', `http://oauth2:${token}@`) + '/demo/app.git';

beforeAll(async () => {
  started = await startForge();
  receiver = await startReceiver();
  workDir = await mkdtemp(join(tmpdir(), 'devforge-push-'));
  await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/hooks', {
    url: receiver.url,
    push_events: true,
    merge_requests_events: true,
  });
});
afterAll(async () => {
  await receiver.close();
  await started.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('git push through the forge', () => {
  it('fires a Push Hook and a Merge Request Hook with a new diff version after a push to an MR source branch', async () => {
    const clone = join(workDir, 'app');
    await git(workDir, 'clone', '--quiet', remote(tokens.alice), clone);
    await git(clone, 'checkout', '--quiet', 'feature/polite-greeting');
    await writeFile(join(clone, 'CHANGELOG.md'), '# Changes\n');
    await git(clone, 'add', 'CHANGELOG.md');
    await git(clone, 'commit', '--quiet', '-m', 'Add a changelog');
    const versionsBefore = (
      await api(started.url, tokens.alice, 'GET', 'projects/demo%2Fapp/merge_requests/1/versions')
    ).json as unknown[];
    await git(clone, 'push', '--quiet', 'origin', 'feature/polite-greeting');
    await started.forge.deliveries.idle();
    const events = receiver.received.map((r) => r.headers['x-gitlab-event']);
    expect(events).toEqual(['Push Hook', 'Merge Request Hook']);
    expect(receiver.received[0]?.body).toMatchObject({
      ref: 'refs/heads/feature/polite-greeting',
      user_username: 'alice',
    });
    const versionsAfter = (
      await api(started.url, tokens.alice, 'GET', 'projects/demo%2Fapp/merge_requests/1/versions')
    ).json as unknown[];
    expect(versionsAfter.length).toBe(versionsBefore.length + 1);
    const diffs = (
      await api(started.url, tokens.alice, 'GET', 'projects/demo%2Fapp/merge_requests/1/diffs')
    ).json as { new_path: string }[];
    expect(diffs.map((d) => d.new_path).sort()).toEqual(['CHANGELOG.md', 'src/greet.ts']);
  });

  it('refuses a Developer push to a protected branch', async () => {
    await api(started.url, tokens.mia, 'POST', 'projects/demo%2Fapp/protected_branches', {
      name: 'main',
      push_access_level: 40,
    });
    const clone = join(workDir, 'protected');
    await git(workDir, 'clone', '--quiet', remote(tokens.alice), clone);
    await writeFile(join(clone, 'direct.txt'), 'direct\n');
    await git(clone, 'add', 'direct.txt');
    await git(clone, 'commit', '--quiet', '-m', 'Direct to main');
    await expect(git(clone, 'push', '--quiet', 'origin', 'main')).rejects.toThrow(
      /protected branch|pre-receive hook declined/,
    );
  });
});
