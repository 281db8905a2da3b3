/**
 * Gemini CLI `--output-format stream-json` lines, as far as Baton reads them. Permissive:
 * unknown fields are ignored, and a line that does not fit is skipped, not an error.
 */
import { z } from 'zod';

export const geminiLineSchema = z.object({ type: z.string() });

export const geminiMessageSchema = z.object({
  role: z.string(),
  content: z.string(),
  delta: z.boolean().nullish(),
});

export const geminiToolUseSchema = z.object({
  tool_name: z.string(),
  tool_id: z.string(),
  parameters: z.unknown().optional(),
});

export const geminiToolResultSchema = z.object({
  tool_id: z.string(),
  status: z.string(),
  output: z.string().nullish(),
  error: z.object({ message: z.string().nullish() }).loose().nullish(),
});

export const geminiErrorSchema = z.object({
  severity: z.string().nullish(),
  message: z.string(),
});

const count = z.number().nonnegative().nullish();

export const geminiResultSchema = z.object({
  status: z.string(),
  error: z.object({ message: z.string().nullish() }).loose().nullish(),
  stats: z
    .object({
      input_tokens: count,
      output_tokens: count,
      cached: count,
      /** Input without the cached part. */
      input: count,
    })
    .nullish(),
});
