import { AppError, type ErrorCode } from '../../errors/app-error.ts';

/** The publishing step that failed, as the final note names it. */
export type PublishStep = 'commit' | 'push' | 'merge_request';

export type PublishFailureReason =
  /** The agent left a symlink pointing outside the repository. */
  | 'unsafe_symlink'
  /** The agent left a nested git repository (a gitlink) in the work tree. */
  | 'nested_repository'
  /** The changes contain the value of a masked variable. */
  | 'secret_in_changes'
  /** Staging or committing the work tree failed. */
  | 'commit_failed'
  | 'protected_branch'
  /** The target branch moved on the forge; pushing would overwrite someone's commits. */
  | 'branch_moved'
  | 'push_forbidden'
  | 'push_unauthorized'
  | 'forge_unavailable'
  | 'push_failed'
  | 'merge_request_failed';

const codes: Record<PublishFailureReason, ErrorCode> = {
  unsafe_symlink: 'FORBIDDEN',
  nested_repository: 'FORBIDDEN',
  secret_in_changes: 'FORBIDDEN',
  commit_failed: 'INTERNAL',
  protected_branch: 'FORGE_REJECTED',
  branch_moved: 'FORGE_REJECTED',
  push_forbidden: 'FORGE_FORBIDDEN',
  push_unauthorized: 'FORGE_UNAUTHORIZED',
  forge_unavailable: 'FORGE_UNAVAILABLE',
  push_failed: 'FORGE_REJECTED',
  merge_request_failed: 'FORGE_REJECTED',
};

/**
 * A publishing failure. `message` is written for the person who asked (it goes into the final
 * note as is): what failed and what they or a maintainer can do about it.
 */
export class PublishError extends AppError {
  readonly step: PublishStep;
  readonly reason: PublishFailureReason;

  constructor(
    step: PublishStep,
    reason: PublishFailureReason,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(codes[reason], message, {
      cause: options.cause,
      details: { step, reason, ...options.details },
    });
    this.name = 'PublishError';
    this.step = step;
    this.reason = reason;
  }
}

export function isPublishError(error: unknown): error is PublishError {
  return error instanceof PublishError;
}
