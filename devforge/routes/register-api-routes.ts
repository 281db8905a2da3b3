import type { FastifyInstance } from 'fastify';
import type { ForgeContext } from '../forge-context.ts';
import { registerAwardEmojiRoutes } from './award-emoji.ts';
import { registerBranchRoutes } from './branches.ts';
import { registerDiscussionRoutes } from './discussions.ts';
import { registerEpicRoutes } from './epics.ts';
import { registerHookRoutes } from './hooks.ts';
import { registerIssueRoutes } from './issues.ts';
import { registerMergeRequestDiffRoutes } from './merge-request-diffs.ts';
import { registerMergeRequestRoutes } from './merge-requests.ts';
import { registerNoteRoutes } from './notes.ts';
import { registerProjectRoutes } from './projects.ts';
import { registerProtectedBranchRoutes } from './protected-branches.ts';
import { registerRepositoryCommitRoutes } from './repository-commits.ts';
import { registerRepositoryFileRoutes } from './repository-files.ts';
import { registerServiceAccountRoutes } from './service-accounts.ts';
import { registerUserRoutes } from './users.ts';
import { registerVariableRoutes } from './variables.ts';

/** Every `/api/v4` capability, one module each. */
export function registerApiRoutes(app: FastifyInstance, ctx: ForgeContext): void {
  registerUserRoutes(app, ctx);
  registerProjectRoutes(app, ctx);
  registerServiceAccountRoutes(app, ctx);
  registerIssueRoutes(app, ctx);
  registerMergeRequestRoutes(app, ctx);
  registerMergeRequestDiffRoutes(app, ctx);
  registerEpicRoutes(app, ctx);
  registerNoteRoutes(app, ctx);
  registerDiscussionRoutes(app, ctx);
  registerAwardEmojiRoutes(app, ctx);
  registerBranchRoutes(app, ctx);
  registerRepositoryFileRoutes(app, ctx);
  registerRepositoryCommitRoutes(app, ctx);
  registerProtectedBranchRoutes(app, ctx);
  registerVariableRoutes(app, ctx);
  registerHookRoutes(app, ctx);
}
