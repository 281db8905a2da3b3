import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevForge, type DevForge } from '../../devforge/create-dev-forge.ts';
import { isAppError } from '../errors/app-error.ts';
import { createLogger } from '../logging/logger.ts';
import { gitLabAccountVerifier } from './verify-gitlab-account.ts';

/** Against the development forge, which answers GET /user and /personal_access_tokens/self as GitLab does. */
describe('gitLabAccountVerifier', () => {
  let forge: DevForge;
  let url = '';
  let reposDir = '';
  const verify = gitLabAccountVerifier(createLogger({ level: 'silent' }));

  beforeAll(async () => {
    reposDir = await mkdtemp(join(tmpdir(), 'baton-verify-'));
    forge = await createDevForge({ reposDir });
    ({ url } = await forge.listen({ host: '127.0.0.1', port: 0 }));
  });

  afterAll(async () => {
    await forge.close();
    await rm(reposDir, { recursive: true, force: true });
  });

  it('learns a service account and its token scopes', async () => {
    const account = await verify(url, 'glpat-claude-agent-token-0001');
    expect(account).toMatchObject({ username: 'claude-agent', bot: true });
    expect(account.scopes).toEqual(expect.arrayContaining(['api', 'write_repository']));
    expect(account.id).toBeGreaterThan(0);
  });

  it('tells a regular user from a bot', async () => {
    const account = await verify(url, 'glpat-alice-api-token-0001');
    expect(account).toMatchObject({ username: 'alice', bot: false });
    expect(account.scopes).not.toContain('ai_features');
  });

  it('fails with FORGE_UNAUTHORIZED for a token the forge does not know', async () => {
    const error: unknown = await verify(url, 'glpat-nobody').catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('FORGE_UNAUTHORIZED');
  });
});
