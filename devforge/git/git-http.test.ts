import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitRepositoryStore } from './git-repository-store.ts';
import { registerGitHttp } from './git-http.ts';
import type { GitHttpAccess, RefUpdate, RepositoryStore } from './repository-store.ts';

const accessDeniedText = (base: string) =>
  "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped. " +
  `See ${base}/help/topics/git/troubleshooting_git.md#error-on-git-fetch-http-basic-access-denied`;
const notFoundText =
  "The project you were looking for could not be found or you don't have permission to view it.";
const protectedText =
  'GitLab: You are not allowed to push code to protected branches on this project.';

interface TestUser {
  userId: number;
  username: string;
  scopes: string[];
  level: number;
}

/** token → user; `level` is the user's role on every project that is not `group/secret`. */
const users: Record<string, TestUser> = {
  'dev-token': { userId: 1, username: 'dev', scopes: ['api'], level: 30 },
  'maintainer-token': { userId: 2, username: 'maint', scopes: ['write_repository'], level: 40 },
  'reporter-token': { userId: 3, username: 'rep', scopes: ['api'], level: 20 },
  'read-only-token': { userId: 4, username: 'ro', scopes: ['read_repository'], level: 40 },
  'read-api-token': { userId: 5, username: 'ra', scopes: ['read_api'], level: 40 },
};

const projects = [
  { id: 1, pathWithNamespace: 'group/app', visibility: 'private' },
  { id: 2, pathWithNamespace: 'group/public-app', visibility: 'public' },
  { id: 3, pathWithNamespace: 'a/b/c/nested', visibility: 'private' },
  { id: 4, pathWithNamespace: 'group/secret', visibility: 'private' },
] as const;

const author = { name: 'Test', email: 'test@example.test' };

let root: string;
let store: RepositoryStore;
let app: FastifyInstance;
let base: string;
let pushes: { projectId: number; userId: number; updates: RefUpdate[] }[];
let clientEnv: NodeJS.ProcessEnv;

function testAccess(): GitHttpAccess {
  return {
    authenticate: (_username, password) => {
      const user = users[password];
      return user ? { userId: user.userId, username: user.username, scopes: user.scopes } : null;
    },
    findProject: (path) => projects.find((project) => project.pathWithNamespace === path) ?? null,
    accessLevel: (projectId, userId) => {
      if (projectId === 4) return 0;
      return Object.values(users).find((user) => user.userId === userId)?.level ?? 0;
    },
    canPushToBranch: (_projectId, branch, level) => (branch === 'main' ? level >= 40 : level >= 30),
    onPush: (projectId, userId, updates) => {
      pushes.push({ projectId, userId, updates });
    },
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'devforge-git-http-'));
  const home = join(root, 'home');
  await mkdir(home);
  store = createGitRepositoryStore({ reposDir: join(root, 'repos') });
  for (const project of projects) {
    await store.create(project.pathWithNamespace, {
      defaultBranch: 'main',
      author,
      files: { 'README.md': `# ${project.pathWithNamespace}\n` },
    });
  }
  pushes = [];
  app = Fastify();
  await registerGitHttp(app, { store, access: testAccess() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  clientEnv = {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, 'gitconfig'),
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Client',
    GIT_AUTHOR_EMAIL: 'client@example.test',
    GIT_COMMITTER_NAME: 'Client',
    GIT_COMMITTER_EMAIL: 'client@example.test',
    LC_ALL: 'C',
  };
});

afterEach(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

function git(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd ?? root,
      env: { ...clientEnv, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function url(path: string, user?: string, token?: string): string {
  const credentials = user ? `${user}:${token ?? ''}@` : '';
  return `${base.replace('http://', `http://${credentials}`)}/${path}.git`;
}

async function cloneAs(path: string, user: string, token: string, dir = 'work') {
  const result = await git(['clone', url(path, user, token), dir]);
  expect(result.stderr).not.toContain('fatal');
  expect(result.code).toBe(0);
  return join(root, dir);
}

async function commitFile(cwd: string, name: string): Promise<string> {
  await git(['commit', '--allow-empty', '-q', '-m', `add ${name}`], { cwd });
  return (await git(['rev-parse', 'HEAD'], { cwd })).stdout.trim();
}

describe('git smart HTTP', () => {
  it('clones with oauth2:<token> and with gitlab-ci-token:<token>', async () => {
    const first = await cloneAs('group/app', 'oauth2', 'dev-token', 'one');
    const second = await cloneAs('group/app', 'gitlab-ci-token', 'dev-token', 'two');
    const head = await store.resolveCommit('group/app', 'main');
    expect((await git(['rev-parse', 'HEAD'], { cwd: first })).stdout.trim()).toBe(head);
    expect((await git(['show', 'HEAD:README.md'], { cwd: second })).stdout).toBe('# group/app\n');
  });

  it('challenges an anonymous clone of a private project with GitLab realm and text', async () => {
    const clone = await git(['clone', url('group/app'), 'anon']);
    expect(clone.code).not.toBe(0);
    // git only asks for a user name after a 401 challenge.
    expect(clone.stderr).toContain('could not read Username');
    const response = await fetch(`${base}/group/app.git/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(accessDeniedText(base));
  });

  it('challenges anonymous requests for projects that do not exist, revealing nothing', async () => {
    const response = await fetch(
      `${base}/group/nothing-here.git/info/refs?service=git-upload-pack`,
    );
    expect(response.status).toBe(401);
    expect(await response.text()).toBe(accessDeniedText(base));
  });

  it('rejects a wrong token with 401 and git reports Authentication failed', async () => {
    const clone = await git(['clone', url('group/app', 'oauth2', 'wrong-token'), 'bad']);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain(`remote: ${accessDeniedText(base)}`);
    expect(clone.stderr).toContain('Authentication failed');
    const response = await fetch(`${base}/group/app.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from('oauth2:wrong-token').toString('base64')}` },
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe(accessDeniedText(base));
  });

  it('lets anyone clone a public project but challenges an anonymous push', async () => {
    const work = join(root, 'public');
    const clone = await git(['clone', url('group/public-app'), work]);
    expect(clone.code).toBe(0);
    const response = await fetch(`${base}/group/public-app.git/info/refs?service=git-receive-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
  });

  it('pushes a new branch and reports it once through onPush with the old and new SHAs', async () => {
    const work = await cloneAs('group/app', 'oauth2', 'dev-token');
    await git(['checkout', '-q', '-b', 'feature'], { cwd: work });
    const first = await commitFile(work, 'one');
    const push = await git(['push', 'origin', 'feature'], { cwd: work });
    expect(push.code).toBe(0);
    expect(pushes).toEqual([
      {
        projectId: 1,
        userId: 1,
        updates: [{ ref: 'refs/heads/feature', oldSha: '0'.repeat(40), newSha: first }],
      },
    ]);
    const second = await commitFile(work, 'two');
    await git(['push', 'origin', 'feature'], { cwd: work });
    expect(pushes[1]?.updates).toEqual([
      { ref: 'refs/heads/feature', oldSha: first, newSha: second },
    ]);
    expect(await store.resolveCommit('group/app', 'feature')).toBe(second);
  });

  it('reports branch deletion and tag creation, and streams a large chunked push', async () => {
    const work = await cloneAs('group/app', 'oauth2', 'dev-token');
    await git(['checkout', '-q', '-b', 'big'], { cwd: work });
    await writeFile(join(work, 'big.bin'), randomBytes(3 * 1024 * 1024));
    await git(['add', 'big.bin'], { cwd: work });
    const sha = await commitFile(work, 'big');
    expect((await git(['push', 'origin', 'big', 'HEAD:refs/tags/v1'], { cwd: work })).code).toBe(0);
    expect(pushes[0]?.updates).toEqual(
      expect.arrayContaining([
        { ref: 'refs/heads/big', oldSha: '0'.repeat(40), newSha: sha },
        { ref: 'refs/tags/v1', oldSha: '0'.repeat(40), newSha: sha },
      ]),
    );
    expect((await store.readFile('group/app', 'big', 'big.bin'))?.size).toBe(3 * 1024 * 1024);
    expect((await git(['push', 'origin', '--delete', 'big'], { cwd: work })).code).toBe(0);
    expect(pushes[1]?.updates).toEqual([
      { ref: 'refs/heads/big', oldSha: sha, newSha: '0'.repeat(40) },
    ]);
  });

  it('refuses a push to a protected branch inside receive-pack with GitLab’s message', async () => {
    const before = await store.resolveCommit('group/app', 'main');
    const work = await cloneAs('group/app', 'oauth2', 'dev-token');
    await commitFile(work, 'blocked');
    const push = await git(['push', 'origin', 'main'], { cwd: work });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain(`remote: ${protectedText}`);
    expect(push.stderr).toContain('! [remote rejected] main -> main (pre-receive hook declined)');
    expect(await store.resolveCommit('group/app', 'main')).toBe(before);
    expect(pushes).toEqual([]);
  });

  it('lets a Maintainer push to the protected branch', async () => {
    const work = await cloneAs('group/app', 'oauth2', 'maintainer-token');
    const before = await store.resolveCommit('group/app', 'main');
    const sha = await commitFile(work, 'allowed');
    const push = await git(['push', 'origin', 'main'], { cwd: work });
    expect(push.code).toBe(0);
    expect(pushes).toEqual([
      {
        projectId: 1,
        userId: 2,
        updates: [{ ref: 'refs/heads/main', oldSha: before, newSha: sha }],
      },
    ]);
  });

  it('refuses the whole push when one of its refs is protected', async () => {
    const work = await cloneAs('group/app', 'oauth2', 'dev-token');
    await commitFile(work, 'mixed');
    const push = await git(['push', 'origin', 'main', 'HEAD:refs/heads/side'], { cwd: work });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain(protectedText);
    expect(await store.resolveCommit('group/app', 'side')).toBeNull();
  });

  it('answers a Reporter’s push with 403 You are not allowed to push code to this project.', async () => {
    const work = await cloneAs('group/app', 'oauth2', 'reporter-token');
    await git(['checkout', '-q', '-b', 'rep'], { cwd: work });
    await commitFile(work, 'rep');
    const push = await git(['push', 'origin', 'rep'], { cwd: work });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote: You are not allowed to push code to this project.');
    expect(push.stderr).toContain('403');
    expect(pushes).toEqual([]);
  });

  it('does not let a read_repository token push, whatever the role', async () => {
    const work = await cloneAs('group/app', 'oauth2', 'read-only-token');
    await git(['checkout', '-q', '-b', 'ro'], { cwd: work });
    await commitFile(work, 'ro');
    const push = await git(['push', 'origin', 'ro'], { cwd: work });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote: You are not allowed to upload code.');
    expect(await store.resolveCommit('group/app', 'ro')).toBeNull();
  });

  it('does not let a token without a repository scope clone', async () => {
    const clone = await git(['clone', url('group/app', 'oauth2', 'read-api-token'), 'ra']);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain('remote: You are not allowed to download code.');
  });

  it('serves nested group paths for clone and push', async () => {
    const work = await cloneAs('a/b/c/nested', 'oauth2', 'dev-token');
    await git(['checkout', '-q', '-b', 'deep'], { cwd: work });
    const sha = await commitFile(work, 'deep');
    expect((await git(['push', 'origin', 'deep'], { cwd: work })).code).toBe(0);
    expect(await store.resolveCommit('a/b/c/nested', 'deep')).toBe(sha);
    expect(pushes[0]?.projectId).toBe(3);
  });

  it('answers 404 with GitLab’s text for a missing project or one the user cannot see', async () => {
    const missing = await git(['clone', url('group/missing', 'oauth2', 'dev-token'), 'missing']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`remote: ${notFoundText}`);
    const auth = { authorization: `Basic ${Buffer.from('me:dev-token').toString('base64')}` };
    for (const path of ['group/missing', 'group/secret']) {
      const response = await fetch(`${base}/${path}.git/info/refs?service=git-upload-pack`, {
        headers: auth,
      });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe(notFoundText);
    }
  });

  it('speaks protocol v2 when the client asks for it, and v0 otherwise', async () => {
    const v2 = await git(
      ['-c', 'protocol.version=2', 'ls-remote', url('group/app', 'oauth2', 'dev-token')],
      {
        env: { GIT_TRACE_PACKET: '1' },
      },
    );
    expect(v2.code).toBe(0);
    expect(v2.stderr).toContain('git< version 2');
    expect(v2.stdout).toContain('refs/heads/main');
    const v0 = await git(
      ['-c', 'protocol.version=0', 'ls-remote', url('group/app', 'oauth2', 'dev-token')],
      {
        env: { GIT_TRACE_PACKET: '1' },
      },
    );
    expect(v0.code).toBe(0);
    expect(v0.stderr).not.toContain('git< version 2');
    expect(v0.stdout).toContain('refs/heads/main');
  });

  it('accepts a gzip-encoded upload-pack request', async () => {
    const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
    const body = gzipSync(Buffer.from(`${pkt('command=ls-refs\n')}0001${pkt('peel\n')}0000`));
    const response = await fetch(`${base}/group/app.git/git-upload-pack`, {
      method: 'POST',
      body,
      headers: {
        authorization: `Basic ${Buffer.from('oauth2:dev-token').toString('base64')}`,
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
        'git-protocol': 'version=2',
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    const head = await store.resolveCommit('group/app', 'main');
    expect(await response.text()).toContain(`${head ?? ''} refs/heads/main`);
  });

  it('leaves routes outside git paths to the rest of the app', async () => {
    const other = Fastify();
    other.get('/api/v4/version', () => ({ version: 'test' }));
    await registerGitHttp(other, { store, access: testAccess() });
    expect((await other.inject({ url: '/api/v4/version' })).json()).toEqual({ version: 'test' });
    expect((await other.inject({ url: '/group/app/info/refs' })).statusCode).toBe(404);
    // The raw-body parsers stay inside the git context.
    const raw = await other.inject({
      method: 'POST',
      url: '/api/v4/version',
      headers: { 'content-type': 'application/x-git-upload-pack-request' },
      payload: '0000',
    });
    expect(raw.statusCode).toBe(404);
    await other.close();
  });
});
