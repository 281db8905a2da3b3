import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorizeGitRequest, type GitProject, type GitUser } from './authorize-git-request.ts';
import { installPushHooks, pushHookEnv, type PushHooks } from './install-push-hooks.ts';
import { readReceivePackCommands, type ReceivePackCommand } from './read-receive-pack-commands.ts';
import type { GitHttpAccess, RefUpdate, RepositoryStore } from './repository-store.ts';
import { runHttpBackend, type HttpBackendRequest } from './run-http-backend.ts';

export interface GitHttpOptions {
  store: RepositoryStore;
  access: GitHttpAccess;
  logger?: FastifyBaseLogger;
  /** Base URL quoted in GitLab's 401 text; defaults to the request's own origin. */
  publicUrl?: string;
}

/** GitLab allows 20 levels of nested groups below the top-level namespace. */
const maxGroupDepth = 21;
const gitPath = /^\/(.+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const developer = 30;
const commandNotAllowed = "The command you're trying to execute is not allowed.";
const noRepository = 'A repository for this project does not exist yet.';

/**
 * Git smart HTTP (clone, fetch, push) for the development forge, served by `git http-backend`
 * behind GitLab's authentication and error texts. Routes and body parsers live in their own
 * encapsulated context so the raw-body parsers leave the REST API untouched.
 */
export async function registerGitHttp(
  app: FastifyInstance,
  options: GitHttpOptions,
): Promise<void> {
  await app.register(async (scope) => {
    const logger = options.logger ?? scope.log;
    const hooks = await installPushHooks();
    scope.addHook('onClose', () => hooks.dispose());
    scope.addContentTypeParser(
      ['application/x-git-upload-pack-request', 'application/x-git-receive-pack-request'],
      (_request, payload, done) => {
        done(null, payload);
      },
    );
    const handler = (request: FastifyRequest, reply: FastifyReply) =>
      serveGitRequest(request, reply, { ...options, logger, hooks });
    // One route per nesting depth: a wildcard route would swallow other routes' 404s.
    for (let depth = 0; depth < maxGroupDepth; depth++) {
      const groups = Array.from({ length: depth }, (_, index) => `:group${index}/`).join('');
      scope.get(`/${groups}:project.git/info/refs`, handler);
      scope.post(`/${groups}:project.git/git-upload-pack`, handler);
      scope.post(`/${groups}:project.git/git-receive-pack`, handler);
    }
  });
}

interface ServeContext extends GitHttpOptions {
  logger: FastifyBaseLogger;
  hooks: PushHooks;
}

function sendText(reply: FastifyReply, status: number, message: string): FastifyReply {
  if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="GitLab"');
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function serveGitRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  context: ServeContext,
): Promise<FastifyReply> {
  const rawUrl = request.raw.url ?? request.url;
  const queryStart = rawUrl.indexOf('?');
  const pathname = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const queryString = queryStart < 0 ? '' : rawUrl.slice(queryStart + 1);
  const match = gitPath.exec(pathname);
  if (!match) {
    reply.callNotFound();
    return reply;
  }
  const projectPath = match[1] ?? '';
  const action = match[2] ?? '';
  const service = action === 'info/refs' ? new URLSearchParams(queryString).get('service') : action;
  // Only the smart protocol: GitLab serves no dumb HTTP.
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
    return sendText(reply, 403, commandNotAllowed);
  }

  const decision = authorizeGitRequest(context.access, {
    projectPath,
    service,
    authorization: request.headers.authorization,
    baseUrl: context.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`,
  });
  if (!decision.allowed) return sendText(reply, decision.status, decision.message);
  if (!(await context.store.exists(projectPath))) return sendText(reply, 404, noRepository);

  const gitDir = context.store.pathOf(projectPath);
  const backendRequest: HttpBackendRequest = {
    projectRoot: dirname(gitDir),
    pathInfo: `/${basename(gitDir)}/${action}`,
    method: request.method === 'POST' ? 'POST' : 'GET',
    queryString,
    remoteAddr: request.ip,
    ...(decision.user ? { remoteUser: decision.user.username } : {}),
    ...optionalHeader('gitProtocol', singleHeader(request.headers['git-protocol'])),
    ...optionalHeader(
      'contentType',
      request.method === 'POST' ? request.headers['content-type'] : undefined,
    ),
  };
  const contentEncoding = singleHeader(request.headers['content-encoding']);
  let afterExit: ((exitCode: number) => Promise<void>) | undefined;

  if (request.method === 'POST' && service === 'git-receive-pack' && decision.user) {
    let body = request.body as Readable;
    // Decompressed here rather than by the backend: the command list must be read first.
    if (contentEncoding && /gzip/i.test(contentEncoding)) body = body.pipe(createGunzip());
    const push = await preparePush(
      body,
      context,
      decision.project,
      decision.user,
      decision.accessLevel,
    );
    backendRequest.prefix = push.consumed;
    if (!push.ended) backendRequest.body = body;
    backendRequest.env = push.env;
    afterExit = push.afterExit;
  } else if (request.method === 'POST') {
    backendRequest.body = request.body as Readable;
    if (contentEncoding !== undefined) backendRequest.contentEncoding = contentEncoding;
  }

  try {
    const response = await runHttpBackend(backendRequest, afterExit);
    return await reply.code(response.status).headers(response.headers).send(response.body);
  } catch (error) {
    context.logger.error({ err: error, project: projectPath, service }, 'git http-backend failed');
    return sendText(reply, 500, 'Internal Server Error');
  }
}

function optionalHeader<K extends string>(
  key: K,
  value: string | undefined,
): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** Which refs this pusher may update; protected-branch rules come from the forge. */
function allowedRefs(
  access: GitHttpAccess,
  projectId: number,
  accessLevel: number,
  commands: readonly ReceivePackCommand[],
): string[] {
  return commands
    .filter(({ ref }) => {
      if (ref.startsWith('refs/heads/')) {
        return access.canPushToBranch(projectId, ref.slice('refs/heads/'.length), accessLevel);
      }
      return ref.startsWith('refs/tags/') && accessLevel >= developer;
    })
    .map(({ ref }) => ref);
}

async function preparePush(
  body: Readable,
  context: ServeContext,
  project: GitProject,
  user: GitUser,
  accessLevel: number,
): Promise<{
  consumed: Buffer;
  ended: boolean;
  env: Record<string, string>;
  afterExit: (exitCode: number) => Promise<void>;
}> {
  const head = await readReceivePackCommands(body);
  const workDir = await mkdtemp(join(tmpdir(), 'devforge-push-'));
  const allowedFile = join(workDir, 'allowed-refs');
  const pushedFile = join(workDir, 'pushed-refs');
  const allowed = allowedRefs(context.access, project.id, accessLevel, head.commands);
  await writeFile(allowedFile, allowed.map((ref) => `${ref}\n`).join(''));
  const afterExit = async (): Promise<void> => {
    try {
      const updates = await readPushedRefs(pushedFile);
      if (updates.length === 0) return;
      try {
        context.access.onPush(project.id, user.userId, updates);
      } catch (error) {
        context.logger.error({ err: error, project: project.pathWithNamespace }, 'onPush failed');
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  };
  return {
    consumed: head.consumed,
    ended: head.ended,
    env: {
      ...context.hooks.env,
      [pushHookEnv.allowedRefs]: allowedFile,
      [pushHookEnv.pushedRefs]: pushedFile,
    },
    afterExit,
  };
}

/** post-receive's stdin (`<old> <new> <ref>` per updated ref); absent when nothing was updated. */
async function readPushedRefs(file: string): Promise<RefUpdate[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line): RefUpdate[] => {
    const [oldSha, newSha, ref] = line.split(' ');
    return oldSha && newSha && ref ? [{ ref, oldSha, newSha }] : [];
  });
}
