import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares the `X-Gitlab-Token` header with a hook's secret in constant time. Both sides are
 * hashed first so that neither the comparison nor its length check leaks how much matched.
 * GitLab strips line breaks from the token it sends; so do we.
 */
export function gitLabTokenMatches(header: string | undefined, secret: string): boolean {
  if (header === undefined || header === '') return false;
  const given = createHash('sha256')
    .update(header.replace(/[\r\n]/g, ''))
    .digest();
  const expected = createHash('sha256')
    .update(secret.replace(/[\r\n]/g, ''))
    .digest();
  return timingSafeEqual(given, expected);
}
