import type { RunOutcome } from './publish/final-note.ts';

/** Why a run stopped before its flow could finish, in the words of the final note. */
export class RunStop extends Error {
  constructor(
    readonly outcome: RunOutcome,
    message: string,
  ) {
    super(message);
  }
}
