import { z } from 'zod';

const count = z.number().optional().catch(undefined);
const details = z.object({ cached_tokens: count }).optional().catch(undefined);

/**
 * OpenAI's `usage`, permissive, in both shapes: the Responses API (`input_tokens`,
 * `output_tokens`) and Chat Completions (`prompt_tokens`, `completion_tokens`). Cached tokens
 * are part of the input counts in both.
 */
export const openaiUsageSchema = z.object({
  input_tokens: count,
  output_tokens: count,
  input_tokens_details: details,
  prompt_tokens: count,
  completion_tokens: count,
  prompt_tokens_details: details,
});

export type OpenAIUsage = z.infer<typeof openaiUsageSchema>;

const model = z.string().optional().catch(undefined);
const usage = openaiUsageSchema.optional().catch(undefined);

/**
 * A Response, a chat completion, a chat completion chunk, or a Responses stream event (which
 * wraps the Response in `response`).
 */
export const openaiReplySchema = z.object({
  model,
  usage,
  response: z.object({ model, usage }).optional().catch(undefined),
});
