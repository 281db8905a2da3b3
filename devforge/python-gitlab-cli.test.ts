import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, startReceiver, tokens, type StartedForge } from './test/forge-harness.ts';

/**
 * The forge driven by python-gitlab's CLI (Debian `gitlab-cli`), a second client nobody here
 * wrote. Under CI=true a missing CLI fails the suite instead of skipping it.
 */
const run = promisify(execFile);

async function findCli(): Promise<string | null> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v python-gitlab']);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

const cli = await findCli();
const inCi = process.env.CI === 'true';
if (cli === null && inCi) {
  throw new Error(
    'python-gitlab is not installed (apt-get install -y gitlab-cli); CI must not skip these tests',
  );
}

let started: StartedForge;
let configDir: string;

beforeAll(async () => {
  started = await startForge();
  configDir = await mkdtemp(join(tmpdir(), 'python-gitlab-'));
});
afterAll(async () => {
  await started.stop();
  await rm(configDir, { recursive: true, force: true });
});

async function gitlab(token: string, args: string[]): Promise<unknown> {
  const configFile = join(configDir, `${token}.cfg`);
  await writeFile(
    configFile,
    `[global]\ndefault = dev\n\n[dev]\nurl = ${started.url}\nprivate_token = ${token}\n`,
  );
  const { stdout } = await run(
    cli ?? 'python-gitlab',
    ['--config-file', configFile, '-o', 'json', ...args],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: configDir },
      timeout: 20_000,
    },
  );
  return JSON.parse(stdout) as unknown;
}

describe.skipIf(cli === null)('python-gitlab CLI against the forge', () => {
  it('current-user get', async () => {
    expect(await gitlab(tokens.claude, ['current-user', 'get'])).toMatchObject({
      username: 'claude-agent',
      bot: true,
    });
  });

  it('project get by path', async () => {
    expect(await gitlab(tokens.alice, ['project', 'get', '--id', 'demo/app'])).toMatchObject({
      path_with_namespace: 'demo/app',
      web_url: `${started.url}/demo/app`,
    });
  });

  it('project-issue-note create and list', async () => {
    const note = (await gitlab(tokens.alice, [
      'project-issue-note',
      'create',
      '--project-id',
      'demo/app',
      '--issue-iid',
      '1',
      '--body',
      'from python',
    ])) as { id: number };
    const notes = (await gitlab(tokens.alice, [
      'project-issue-note',
      'list',
      '--project-id',
      'demo/app',
      '--issue-iid',
      '1',
    ])) as { id: number }[];
    expect(notes[0]?.id).toBe(note.id);
  });

  it('project-issue-discussion-note create replies in a thread', async () => {
    const discussion = started.forge.state.discussionsOf('Issue', 1)[0];
    if (discussion === undefined) throw new Error('expected a discussion from the previous note');
    const reply = await gitlab(tokens.claude, [
      'project-issue-discussion-note',
      'create',
      '--project-id',
      'demo/app',
      '--issue-iid',
      '1',
      '--discussion-id',
      discussion.id,
      '--body',
      'bot reply',
    ]);
    expect(reply).toMatchObject({ body: 'bot reply', type: 'DiscussionNote' });
  });

  it('project-branch create and project-merge-request create', async () => {
    const branch = await gitlab(tokens.alice, [
      'project-branch',
      'create',
      '--project-id',
      'demo/app',
      '--branch',
      'py-branch',
      '--ref',
      'main',
    ]);
    expect(branch).toMatchObject({ name: 'py-branch', default: false });
    await started.forge.store.commit('demo/app', {
      branch: 'py-branch',
      message: 'change',
      author: { name: 'Alice', email: 'alice@devforge.test' },
      actions: [{ action: 'create', filePath: 'py.txt', content: Buffer.from('py') }],
    });
    const mr = await gitlab(tokens.alice, [
      'project-merge-request',
      'create',
      '--project-id',
      'demo/app',
      '--source-branch',
      'py-branch',
      '--target-branch',
      'main',
      '--title',
      'From python',
    ]);
    expect(mr).toMatchObject({ source_branch: 'py-branch', state: 'opened' });
  });

  it('project-member-all get returns the effective role', async () => {
    const mia = started.forge.state.userByUsername('mia');
    const member = await gitlab(tokens.alice, [
      'project-member-all',
      'get',
      '--project-id',
      'demo/app',
      '--id',
      String(mia?.id ?? 0),
    ]);
    expect(member).toMatchObject({ username: 'mia', access_level: 40 });
  });

  it('project-hook create', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await gitlab(tokens.mia, [
        'project-hook',
        'create',
        '--project-id',
        'demo/app',
        '--url',
        receiver.url,
        '--note-events',
        'true',
        '--push-events',
        'false',
        '--token',
        'py-secret',
      ]);
      expect(hook).toMatchObject({ url: receiver.url, note_events: true, push_events: false });
      expect(hook).not.toHaveProperty('token');
    } finally {
      await receiver.close();
    }
  });

  it('fails with GitLab’s 404 for a project the user cannot see', async () => {
    await expect(gitlab(tokens.nora, ['project', 'get', '--id', 'demo/app'])).rejects.toThrow(
      /404/,
    );
  });
});
