/**
 * Claude Code's `--output-format stream-json --verbose` lines, as far as Baton reads them.
 * Permissive: unknown fields are ignored, and a line that does not fit is skipped, not an error.
 */
import { z } from 'zod';

export const claudeLineSchema = z.object({ type: z.string(), subtype: z.string().optional() });

export const claudeTextBlockSchema = z.object({ type: z.literal('text'), text: z.string() });

export const claudeToolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown().optional(),
});

export const claudeToolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  is_error: z.boolean().nullish(),
  content: z.unknown().optional(),
});

/** `assistant` and `user` lines: one message whose content is a list of blocks. */
export const claudeMessageLineSchema = z.object({
  message: z.object({ content: z.union([z.array(z.unknown()), z.string()]) }),
  /** On `user` lines: what the tool did, e.g. `{ type: "create", filePath }` for Write. */
  tool_use_result: z.unknown().optional(),
});

export const claudeApiRetrySchema = z.object({
  attempt: z.number().nullish(),
  max_retries: z.number().nullish(),
  error_status: z.number().nullish(),
  error: z.string().nullish(),
});

const count = z.number().nonnegative().nullish();

export const claudeResultSchema = z.object({
  subtype: z.string(),
  is_error: z.boolean().nullish(),
  result: z.string().nullish(),
  errors: z.array(z.string()).nullish(),
  api_error_status: z.number().nullish(),
  terminal_reason: z.string().nullish(),
  total_cost_usd: z.number().nullish(),
  usage: z
    .object({
      input_tokens: count,
      output_tokens: count,
      cache_read_input_tokens: count,
      cache_creation_input_tokens: count,
    })
    .nullish(),
});
