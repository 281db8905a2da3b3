/**
 * The two projects the run-start bench mentions the agent in: demo/app as the default fixture
 * seeds it, and demo/big, which gets `sizeMb` of random (incompressible) files pushed with real
 * git over the forge's smart HTTP. Both carry the marker flow. Setup only; nothing here is timed
 * except the push, which is reported.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultFixture } from '../../devforge/create-dev-forge.ts';
import { flowPath, projectPath, rest, tokens } from '../intake/forge-setup.ts';
import { markerFlow } from './marker-flow.ts';

export const smallProjectPath = projectPath;
export const bigProjectPath = 'demo/big';

/** Resets the forge to the default fixture plus demo/big, both with the marker flow on main. */
export async function seedProjects(forgeUrl: string): Promise<void> {
  const fixture = await loadDefaultFixture();
  const projects = (fixture.projects ?? []).map((p) =>
    p.full_path === smallProjectPath ? { ...p, files: { ...p.files, [flowPath]: markerFlow } } : p,
  );
  projects.push({
    full_path: bigProjectPath,
    name: 'Big',
    description: 'A repository with ~50 MB of incompressible files (run-start bench)',
    default_branch: 'main',
    creator: 'mia',
    members: [
      { user: 'alice', access_level: 30 },
      { user: 'claude-agent', access_level: 30 },
    ],
    files: { 'README.md': '# Big\n', [flowPath]: markerFlow },
    issues: [{ title: 'Bench issue', author: 'alice' }],
  });
  const response = await fetch(`${forgeUrl}/-/devforge/reset`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': fixture.admin_token, 'content-type': 'application/json' },
    body: JSON.stringify({ ...fixture, projects }),
  });
  if (!response.ok)
    throw new Error(`resetting the forge: ${response.status} ${await response.text()}`);
}

function git(cwd: string, args: string[], authHeader: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      [
        '-c',
        `http.extraHeader=${authHeader}`,
        '-c',
        'user.name=Root',
        '-c',
        'user.email=root@devforge.test',
        ...args,
      ],
      {
        cwd,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`git ${args[0] ?? ''} exited ${code}: ${stderr.trim()}`));
    });
  });
}

/**
 * Clones `path`, commits `sizeMb` files of 1 MiB random bytes, pushes to main. Generated in a
 * temp directory that is removed afterwards; nothing generated lands in this repository.
 */
export async function pushRandomContent(
  forgeUrl: string,
  path: string,
  sizeMb: number,
): Promise<{ ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-bench-big-'));
  const auth = `Authorization: Basic ${Buffer.from(`root:${tokens.root}`).toString('base64')}`;
  try {
    const start = performance.now();
    await git(dir, ['clone', '--quiet', `${forgeUrl}/${path}.git`, 'repo'], auth);
    const repo = join(dir, 'repo');
    for (let i = 0; i < sizeMb; i += 1)
      await writeFile(join(repo, `blob-${String(i).padStart(3, '0')}.bin`), randomBytes(1 << 20));
    await git(repo, ['add', '.'], auth);
    await git(repo, ['commit', '--quiet', '-m', `Add ${sizeMb} MiB of random files`], auth);
    await git(repo, ['push', '--quiet', 'origin', 'main'], auth);
    return { ms: performance.now() - start };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function projectId(forgeUrl: string, path: string): Promise<number> {
  const project = (await rest(
    forgeUrl,
    'root',
    'GET',
    `/projects/${encodeURIComponent(path)}`,
  )) as {
    id: number;
  };
  return project.id;
}

export async function createIssues(
  forgeUrl: string,
  path: string,
  count: number,
): Promise<number[]> {
  const iids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const issue = (await rest(
      forgeUrl,
      'alice',
      'POST',
      `/projects/${encodeURIComponent(path)}/issues`,
      {
        title: `Run-start bench issue ${i}`,
      },
    )) as { iid: number };
    iids.push(issue.iid);
  }
  return iids;
}

/** Baton's project hook, as in production: mentions reach it, and its own notes come back. */
export async function addBatonHook(
  forgeUrl: string,
  path: string,
  url: string,
  token: string,
): Promise<void> {
  await rest(forgeUrl, 'root', 'POST', `/projects/${encodeURIComponent(path)}/hooks`, {
    url,
    token,
    note_events: true,
    issues_events: true,
    merge_requests_events: true,
    push_events: false,
  });
}

/** alice opens a thread mentioning the agent; the discussion id Baton's run will carry. */
export async function mention(
  forgeUrl: string,
  path: string,
  iid: number,
  label: string,
): Promise<string> {
  const discussion = (await rest(
    forgeUrl,
    'alice',
    'POST',
    `/projects/${encodeURIComponent(path)}/issues/${iid}/discussions`,
    { body: `@claude-agent please run the flow (${label})` },
  )) as { id: string };
  return discussion.id;
}
