/**
 * `opencode run --format json` lines, as far as Baton reads them. Permissive: unknown fields
 * are ignored, and a line that does not fit is skipped, not an error.
 */
import { z } from 'zod';

export const opencodeLineSchema = z.object({ type: z.string() });

/** `tool_use`: a tool call that has finished (there is no "started" line). */
export const opencodeToolUseSchema = z.object({
  part: z.object({
    tool: z.string(),
    state: z.object({
      status: z.string(),
      input: z.unknown().optional(),
      error: z.string().nullish(),
      metadata: z.unknown().optional(),
    }),
  }),
});

export const opencodeTextSchema = z.object({ part: z.object({ text: z.string() }) });

const count = z.number().nonnegative().nullish();

export const opencodeStepFinishSchema = z.object({
  part: z.object({
    tokens: z
      .object({
        input: count,
        output: count,
        reasoning: count,
        cache: z.object({ read: count, write: count }).nullish(),
      })
      .nullish(),
    cost: z.number().nullish(),
  }),
});

export const opencodeErrorSchema = z.object({
  error: z
    .object({
      name: z.string().nullish(),
      data: z.object({ message: z.string().nullish() }).loose().nullish(),
    })
    .nullish(),
});
