import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isAppError } from '../errors/app-error.ts';
import { cancelActiveRun, loadRunView, runIdOf, type RunRoutesDeps } from './run-routes-deps.ts';
import { renderRunPage, renderRunRefusal } from './render-run-page.ts';
import { viewTokenParameter } from './run-access.ts';
import { runPageScript } from './run-page-script.ts';

/** How much of the log the page shows as of loading; the rest is a link away. */
const pageLogBytes = 256 * 1024;

const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  // Only same-origin script and style files: no inline code, so injected markup cannot run.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  // The view token is in the page's URL; links out to GitLab must not carry it along.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const;

const notices = {
  'cancel-requested': 'Cancellation requested.',
  'cancel-refused': 'Not cancelled: the admin token is not valid.',
  'already-ended': 'Not cancelled: the run had already ended.',
} as const;
type NoticeKey = keyof typeof notices;

const pageQuerySchema = z.object({
  t: z.string().optional(),
  notice: z.enum(Object.keys(notices) as [NoticeKey, ...NoticeKey[]]).optional(),
});

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).headers(pageHeaders).send(html);
}

function refusePage(reply: FastifyReply, status: 401 | 404): FastifyReply {
  return status === 401
    ? sendPage(
        reply,
        401,
        renderRunRefusal(
          'This link does not open a run',
          'Run pages open from the link in the GitLab note that started them. Check that the whole link was copied.',
        ),
      )
    : sendPage(reply, 404, renderRunRefusal('No such run', 'This run does not exist any more.'));
}

async function showPage(deps: RunRoutesDeps, request: FastifyRequest, reply: FastifyReply) {
  let id: string;
  try {
    id = runIdOf(request);
  } catch {
    return refusePage(reply, 401);
  }
  if (deps.auth.verify(request, id) === undefined) return refusePage(reply, 401);
  const query = pageQuerySchema.safeParse(request.query ?? {});
  const notice = query.success && query.data.notice ? notices[query.data.notice] : undefined;
  const run = await deps.runs.get(id);
  if (run === undefined) return refusePage(reply, 404);
  const [view, log] = await Promise.all([loadRunView(deps, run), deps.logs.tail(id, pageLogBytes)]);
  const token = `${viewTokenParameter}=${deps.auth.tokenFor(id)}`;
  const base = `/api/runs/${id}`;
  const html = renderRunPage({
    run: view,
    log,
    urls: {
      events: `${base}/events?${token}&offset=${log.nextOffset}`,
      log: `${base}/log?${token}`,
      cancelApi: `${base}/cancel`,
      cancelForm: `/runs/${id}/cancel?${token}`,
    },
    ...(notice === undefined ? {} : { notice }),
  });
  return sendPage(reply, 200, html);
}

/** The cancel form without JavaScript: the admin token in the body, then back to the page. */
async function cancelFromForm(deps: RunRoutesDeps, request: FastifyRequest, reply: FastifyReply) {
  const id = runIdOf(request);
  if (deps.auth.verify(request, id) === undefined) return refusePage(reply, 401);
  const body = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
  const back = (notice: NoticeKey) =>
    reply
      .status(303)
      .header('location', `${deps.auth.linkFor(id)}&notice=${notice}`)
      .send();
  if (!deps.auth.isAdminToken(body.get('token') ?? '')) return back('cancel-refused');
  try {
    await cancelActiveRun(deps, id, 'admin token (run page)');
  } catch (error) {
    if (isAppError(error) && error.code === 'CONFLICT') return back('already-ended');
    throw error;
  }
  return back('cancel-requested');
}

export async function registerRunPageRoutes(
  app: FastifyInstance,
  deps: RunRoutesDeps,
): Promise<void> {
  const css = await readFile(new URL('./assets/run-page.css', import.meta.url), 'utf8');
  const icon = await readFile(new URL('./assets/baton-icon.svg', import.meta.url), 'utf8');
  const assetHeaders = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  app.get('/assets/run-page.css', (_request, reply) =>
    reply.headers(assetHeaders).type('text/css; charset=utf-8').send(css),
  );
  app.get('/assets/baton-icon.svg', (_request, reply) =>
    reply.headers(assetHeaders).type('image/svg+xml').send(icon),
  );
  app.get('/assets/run-page.js', (_request, reply) =>
    reply.headers(assetHeaders).type('text/javascript; charset=utf-8').send(runPageScript),
  );
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, done) => {
        done(null, new URLSearchParams(body as string));
      },
    );
  }
  app.get('/runs/:id', (request, reply) => showPage(deps, request, reply));
  app.post('/runs/:id/cancel', (request, reply) => cancelFromForm(deps, request, reply));
}
