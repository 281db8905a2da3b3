import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ForgeUrls } from './forge-urls.ts';

const defaultPerPage = 20;
const maxPerPage = 100;

function positiveInt(value: unknown, fallback: number): number {
  const parsed = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/**
 * Offset pagination with GitLab's headers. `Link` URLs are absolute and built from the public
 * base URL, keeping every other query parameter, because clients follow them verbatim.
 */
export function paginate<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  urls: ForgeUrls,
  items: readonly T[],
): T[] {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const perPage = Math.min(positiveInt(query.per_page, defaultPerPage), maxPerPage);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const page = positiveInt(query.page, 1);
  const start = (page - 1) * perPage;
  const slice = items.slice(start, start + perPage);

  const rawUrl = request.raw.url ?? request.url;
  const queryIndex = rawUrl.indexOf('?');
  const path = queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex);
  const search = new URLSearchParams(queryIndex === -1 ? '' : rawUrl.slice(queryIndex + 1));
  search.delete('private_token');
  search.delete('access_token');
  const linkTo = (target: number): string => {
    search.set('page', String(target));
    search.set('per_page', String(perPage));
    return `${urls.base}${path}?${search.toString()}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${linkTo(Math.min(page - 1, totalPages))}>; rel="prev"`);
  if (page < totalPages) links.push(`<${linkTo(page + 1)}>; rel="next"`);
  links.push(`<${linkTo(1)}>; rel="first"`, `<${linkTo(totalPages)}>; rel="last"`);

  void reply.headers({
    Link: links.join(', '),
    'X-Total': String(items.length),
    'X-Total-Pages': String(totalPages),
    'X-Page': String(page),
    'X-Per-Page': String(perPage),
    'X-Next-Page': page < totalPages ? String(page + 1) : '',
    'X-Prev-Page': page > 1 ? String(Math.min(page - 1, totalPages)) : '',
  });
  return slice;
}
